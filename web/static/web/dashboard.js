// Live search of people: asks the public search API as the person types.
// Rows are built with textContent, never innerHTML, so names cannot inject markup.
(() => {
  const input = document.getElementById("people-filter");
  const list = document.getElementById("people");
  if (!input || !list) return;
  let timer, latest = 0;

  function row(person) {
    const name = `${person.firstName} ${person.lastName}`;
    const item = document.createElement("li");
    item.className = "person";
    const avatar = document.createElement("span");
    avatar.className = "avatar";
    avatar.setAttribute("aria-hidden", "true");
    avatar.textContent = person.firstName.charAt(0).toUpperCase();
    const label = document.createElement("span");
    label.className = "person-name";
    label.textContent = name;
    const ask = document.createElement("a");
    ask.className = "button";
    ask.textContent = "Request";
    ask.setAttribute("aria-label", `Ask ${name} for money`);
    ask.href = `/requests?${new URLSearchParams({ id: person._id })}`;
    const send = document.createElement("a");
    send.className = "button primary";
    send.textContent = "Send Money";
    send.setAttribute("aria-label", `Send money to ${name}`);
    send.href = `/send?${new URLSearchParams({ id: person._id, name })}`;
    const actions = document.createElement("span");
    actions.className = "person-actions";
    actions.append(ask, send);
    item.append(avatar, label, actions);
    return item;
  }

  async function search() {
    const ticket = ++latest;
    const query = input.value.trim();
    const response = await fetch(`/api/v1/user/bulk?${new URLSearchParams({ filter: query })}`, {
      credentials: "same-origin", headers: { Accept: "application/json" },
    });
    if (ticket !== latest || !response.ok) return; // a newer search is on its way
    const { users } = await response.json();
    if (users.length === 0) {
      const empty = document.createElement("li");
      empty.className = "muted empty";
      empty.textContent = `No one matches “${query}”.`;
      list.replaceChildren(empty);
    } else {
      list.replaceChildren(...users.map(row));
    }
  }

  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 200); });
  document.getElementById("people-search").addEventListener("submit", (event) => { event.preventDefault(); search(); });
})();
