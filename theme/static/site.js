// Progressive enhancement only: every page works without script.
// Marks the current year's copy and lets wide tables scroll with the keyboard.
document.querySelectorAll(".table-wrap").forEach(function (wrap) {
  if (wrap.scrollWidth > wrap.clientWidth) {
    wrap.tabIndex = 0;
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", "可横向滚动的表格");
  }
});
