-- POST /v1/contacts/score with a new contact_id every request, so every contact is assessed
-- and stored (never an idempotent replay).
-- Arguments after "--": TOKEN RUN_PREFIX BODIES_FILE. Each line of BODIES_FILE is a contact's
-- JSON without its opening brace and contact_id: '"received_at":...}'.
bench_dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(bench_dir .. "common.lua")

local headers, prefix, bodies
local counter = 0

function init(args)
  headers = { ["Authorization"] = "Bearer " .. args[1], ["Content-Type"] = "application/json" }
  prefix = args[2] .. "-" .. thread_id .. "-"
  bodies = {}
  for line in io.lines(args[3]) do
    table.insert(bodies, line)
  end
end

function request()
  counter = counter + 1
  local body = '{"contact_id":"' .. prefix .. counter .. '",' .. bodies[counter % #bodies + 1]
  return wrk.format("POST", "/v1/contacts/score", headers, body)
end
