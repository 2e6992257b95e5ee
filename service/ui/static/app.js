// Narrow a long checkbox list as the user types (the list works without it).
document.querySelectorAll("[data-filter]").forEach(function (input) {
  var list = document.getElementById(input.getAttribute("data-filter"));
  input.addEventListener("input", function () {
    var words = input.value.toLowerCase().trim().split(/\s+/);
    list.querySelectorAll("[data-search]").forEach(function (item) {
      var text = item.getAttribute("data-search");
      var checked = item.querySelector("input").checked;
      item.hidden = !checked && !words.every(function (w) { return text.indexOf(w) !== -1; });
    });
  });
});
