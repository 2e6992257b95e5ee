import { initAll } from "/ui/static/govuk/govuk-frontend.min.js";

initAll();
