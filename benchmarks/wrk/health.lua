-- GET /health (no token): the web framework's own cost on this server.
bench_dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(bench_dir .. "common.lua")

wrk.method = "GET"
wrk.path = "/health"
