// "Cetak" buttons on printable pages (the CSP allows no inline handlers).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) { window.print(); }
});
