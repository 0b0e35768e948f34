-- Shared by the scenario scripts: load "token userId email" lines, seed each thread's
-- random numbers differently, and print one machine-readable line at the end.
people = {}
local thread_number = 0

function setup(thread)
  thread_number = thread_number + 1
  thread:set("thread_number", thread_number)
end

function load_people()
  for line in io.lines(os.getenv("BENCH_PEOPLE")) do
    local token, id, email = line:match("^(%S+) (%S+) (%S+)$")
    if token then people[#people + 1] = { token = token, id = id, email = email } end
  end
  math.randomseed(os.time() * 1000 + (thread_number or 0) * 7919)
end

function two_people()
  local i = math.random(#people)
  local j = math.random(#people - 1)
  if j >= i then j = j + 1 end
  return people[i], people[j]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "socket_errors": %d, "non_2xx": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
