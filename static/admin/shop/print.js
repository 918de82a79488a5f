// The packing slip's print button (issue 11, item 10): a static script, since the
// Content-Security-Policy runs no inline script or onclick attribute. Without JavaScript the
// button stays hidden and the browser's own Print command does the same.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
});
