dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
function init(args) load_people() end
function request()
  local person = people[math.random(#people)]
  return wrk.format("POST", "/api/v1/user/signin", { ["Content-Type"] = "application/json" },
    '{"username": "' .. person.email .. '", "password": "bench-password-not-secret"}')
end
