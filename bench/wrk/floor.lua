-- The floor: GET /healthz, the cheapest request through the same server, middleware, JSON
-- logs and metrics as every other, with one round trip to PostgreSQL and no authentication.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
function request()
  return wrk.format("GET", "/healthz")
end
