// One submission per click on the forms that move money or answer a request (send, ask, pay,
// decline, cancel): a second click is ignored while the first is on its way. The idempotency
// key makes a repeated payment harmless anyway.
(() => {
  document.querySelectorAll("form.once").forEach((form) => form.addEventListener("submit", (event) => {
    const button = form.querySelector("button[type=submit]");
    if (!button) return;
    if (button.dataset.sent) { event.preventDefault(); return; }
    button.dataset.sent = "1";
    button.setAttribute("aria-busy", "true");
  }));
})();
