dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local terms = { "an", "sha", "RIY", "kul", "rao", "ish", "meh", "pat", "ved", "zzq", "ar", "nair", "joshi", "ya" }
function init(args) load_people() end
function request()
  local person = people[math.random(#people)]
  local term = terms[math.random(#terms)]
  return wrk.format("GET", "/api/v1/user/bulk?filter=" .. term, { ["Authorization"] = "Bearer " .. person.token })
end
