dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
function init(args) load_people() end
function request()
  local sender, recipient = two_people()
  return wrk.format("POST", "/api/v1/account/transfer",
    { ["Authorization"] = "Bearer " .. sender.token, ["Content-Type"] = "application/json" },
    '{"to": "' .. recipient.id .. '", "amount": "0.01"}')
end
