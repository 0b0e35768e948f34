// "Copy link" on the receive page: puts the pay link on the clipboard, or says to copy it by hand.
(() => {
  const button = document.getElementById("copy-link");
  const status = document.getElementById("copied");
  if (!button || !status) return;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(button.dataset.link);
      status.textContent = "Link copied.";
    } catch {
      status.textContent = "Copy the link above to share it.";
    }
  });
})();
