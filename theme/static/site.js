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
// The demands list filters by status and department; the choice is kept in the address
// (?status=pending&department=nn-jtysj) so a filtered list can be linked. Without script
// every row shows. Option values and row attributes carry a prefix (status-, dept-).
(function () {
  var form = document.getElementById("demand-filters");
  if (!form) return;
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-status]"));
  var count = document.getElementById("demand-count");
  var none = document.getElementById("demand-none");
  var prefixes = { status: "status-", department: "dept-" };
  var params = new URLSearchParams(location.search);
  Object.keys(prefixes).forEach(function (name) {
    var wanted = params.get(name);
    if (!wanted) return;
    var select = form.elements[name];
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === prefixes[name] + wanted) select.value = select.options[i].value;
    }
  });
  function apply() {
    var status = form.elements.status.value;
    var department = form.elements.department.value;
    var shown = 0;
    rows.forEach(function (row) {
      var match = (!status || row.getAttribute("data-status") === status) &&
        (!department || row.getAttribute("data-department") === department);
      row.hidden = !match;
      if (match) shown += 1;
    });
    count.textContent = "共 " + shown + " 条";
    none.hidden = shown > 0;
  }
  form.addEventListener("change", function () {
    apply();
    var next = new URLSearchParams();
    Object.keys(prefixes).forEach(function (name) {
      var value = form.elements[name].value;
      if (value) next.set(name, value.slice(prefixes[name].length));
    });
    var query = next.toString();
    history.replaceState(null, "", (query ? "?" + query : location.pathname) + location.hash);
    // Announce the count only when the visitor changes the filter.
    count.setAttribute("aria-live", "polite");
  });
  form.hidden = false;
  apply();
})();
