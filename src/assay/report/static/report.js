// Sorting and filtering of report tables. Reads only the DOM; no data is embedded in this script.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  function cellValue(td) {
    var v = td.getAttribute("data-value");
    if (v !== null && v !== "" && !isNaN(Number(v))) { return Number(v); }
    var text = (td.textContent || "").trim();
    if (/^-?\d+(\.\d+)?$/.test(text)) { return Number(text); }  // numeric ids sort as numbers
    return text.toLowerCase();
  }
  function sortBy(table, col, th) {
    var body = table.tBodies[0];
    if (!body) { return; }
    var asc = th.getAttribute("aria-sort") !== "ascending";
    var heads = table.tHead.rows[0].cells;
    for (var i = 0; i < heads.length; i++) { heads[i].removeAttribute("aria-sort"); }
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a.cells[col]), y = cellValue(b.cells[col]);
      if (typeof x === "number" && typeof y === "number") { return asc ? x - y : y - x; }
      x = String(x); y = String(y);
      return asc ? x.localeCompare(y) : y.localeCompare(x);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  var tables = document.querySelectorAll("table.sortable");
  Array.prototype.forEach.call(tables, function (table) {
    if (!table.tHead) { return; }
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.classList.add("sortable");
      th.setAttribute("tabindex", "0");
      th.addEventListener("click", function () { sortBy(table, col, th); });
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sortBy(table, col, th); } });
    });
  });
  // long tables show their first rows and a button for the rest (all rows without JavaScript)
  var PAGE = 50;
  Array.prototype.forEach.call(tables, function (table) {
    var body = table.tBodies[0];
    if (!body || body.rows.length <= PAGE + 10) { return; }
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (r, k) { if (k >= PAGE) { r.classList.add("paged"); } });
    var button = document.createElement("button");
    button.type = "button";
    button.className = "show-all";
    button.textContent = "Show all " + rows.length + " rows";
    button.addEventListener("click", function () {
      rows.forEach(function (r) { r.classList.remove("paged"); });
      button.remove();
    });
    var box = table.parentNode.classList.contains("scroll") ? table.parentNode : table;
    box.parentNode.insertBefore(button, box.nextSibling);
  });
  var filters = document.querySelectorAll("input.filter");
  Array.prototype.forEach.call(filters, function (input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    if (!table || !table.tBodies[0]) { return; }
    var empty = document.createElement("p");
    empty.className = "meta filter-empty";
    empty.setAttribute("role", "status");
    empty.style.display = "none";
    input.parentNode.insertBefore(empty, input.nextSibling);
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      var shown = 0;
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        var match = !q || (row.textContent || "").toLowerCase().indexOf(q) >= 0;
        if (q) { row.classList.remove("paged"); }
        row.style.display = match ? "" : "none";
        if (match) { shown += 1; }
      });
      empty.textContent = "No row matches \u201c" + input.value.trim() + "\u201d.";
      empty.style.display = shown === 0 ? "" : "none";
    });
  });
})();
