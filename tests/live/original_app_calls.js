// The requests the original React app makes, as its source makes them (see
// test_original_client.py), for page.evaluate(): called with the API's base URL.
async (api) => {
  const axios = {  // what axios does for these calls: JSON in and out, its default headers
    async request(method, url, body, headers = {}) {
      const response = await fetch(url, {
        method,
        headers: { Accept: "application/json, text/plain, */*", ...(body ? { "Content-Type": "application/json" } : {}), ...headers },
        body: body ? JSON.stringify(body) : undefined,
      });
      const data = await response.json();
      if (!response.ok) throw Object.assign(new Error(`status ${response.status}`), { status: response.status, data });
      return { status: response.status, data };
    },
    get(url, config = {}) { return this.request("GET", url, null, config.headers); },
    post(url, body, config = {}) { return this.request("POST", url, body, config.headers); },
  };
  const stamp = Date.now();
  const results = {};
  // Signup.jsx
  let response = await axios.post(api + "/api/v1/user/signup", {
    username: `react-${stamp}@example.com`, firstName: "Reacty", lastName: "Original", password: "correct horse battery",
  });
  localStorage.setItem("token", response.data.token);
  results.signupMessage = response.data.message;
  const friend = await axios.post(api + "/api/v1/user/signup", {
    username: `friend-${stamp}@example.com`, firstName: "Friendly", lastName: "Payee", password: "correct horse battery",
  });
  // Signin.jsx
  response = await axios.post(api + "/api/v1/user/signin", { username: `react-${stamp}@example.com`, password: "correct horse battery" });
  localStorage.setItem("token", response.data.token);
  // Balance.jsx (the versions that fetch it)
  response = await axios.get(api + "/api/v1/account/balance", { headers: { Authorization: "Bearer " + localStorage.getItem("token") } });
  results.balanceBefore = response.data.balance;
  // Users.jsx: no token, reads `user`, shows user.firstName[0]
  response = await axios.get(api + "/api/v1/user/bulk?filter=" + "Friendly");
  const user = response.data.user.find((u) => u.firstName === "Friendly");
  results.initial = user.firstName[0];
  results.userKeys = Object.keys(user).sort();
  // SendMoney.jsx: amount from <input type="number">, i.e. a string
  response = await axios.post(api + "/api/v1/account/transfer", { to: user._id, amount: "12.5" }, {
    headers: { Authorization: "Bearer " + localStorage.getItem("token") },
  });
  results.transferMessage = response.data.message;
  response = await axios.get(api + "/api/v1/account/balance", { headers: { Authorization: "Bearer " + localStorage.getItem("token") } });
  results.balanceAfter = response.data.balance;
  results.friendId = friend.data.userId;
  results.friendIdMatches = friend.data.userId === user._id;
  return results;
}
