-- POST /v1/contacts/{id}/decision, cycling through contacts scored beforehand.
-- Arguments after "--": TOKEN IDS_FILE BODIES_FILE (one contact_id, one decision JSON per line).
bench_dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(bench_dir .. "common.lua")

local headers, ids, bodies
local counter = 0

local function read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    table.insert(lines, line)
  end
  return lines
end

function init(args)
  headers = { ["Authorization"] = "Bearer " .. args[1], ["Content-Type"] = "application/json" }
  ids = read_lines(args[2])
  bodies = read_lines(args[3])
  -- Threads start at different contacts so they rarely decide on the same one at once.
  counter = (thread_id - 1) * math.floor(#ids / 2)
end

function request()
  counter = counter + 1
  local path = "/v1/contacts/" .. ids[counter % #ids + 1] .. "/decision"
  return wrk.format("POST", path, headers, bodies[counter % #bodies + 1])
end
