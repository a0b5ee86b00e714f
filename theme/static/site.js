// Progressive enhancement only: every page works without script.
// Marks the current year's copy and lets wide tables scroll with the keyboard.
document.querySelectorAll(".table-wrap").forEach(function (wrap) {
  if (wrap.scrollWidth > wrap.clientWidth) {
    wrap.tabIndex = 0;
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", "可横向滚动的表格");
  }
});
// "/" moves to the search box, as on most search sites.
document.addEventListener("keydown", function (event) {
  var target = event.target;
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
  var box = document.getElementById("search-q") || document.getElementById("header-q");
  if (box) { event.preventDefault(); box.focus(); }
});
// A maintenance banner leaves once its window has ended, even on a page built before.
document.querySelectorAll(".notice-banner [data-end]").forEach(function (line) {
  var end = Date.parse(line.getAttribute("data-end"));
  if (!isNaN(end) && Date.now() > end) line.hidden = true;
});
document.querySelectorAll(".notice-banner").forEach(function (banner) {
  if (!banner.querySelector("[data-end]:not([hidden])")) banner.hidden = true;
});
