dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
function init(args) load_people() end
function request()
  local person = people[math.random(#people)]
  return wrk.format("GET", "/api/v1/account/balance", { ["Authorization"] = "Bearer " .. person.token })
end
