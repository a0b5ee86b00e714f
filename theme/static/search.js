// Kaifang search page: reads the query and filters from the URL, asks the search worker,
// shows results with highlighted words and facet counts. Works with the keyboard: every
// control is a native link, button or input. The URL always holds the current search.
(function () {
  "use strict";
  var script = document.currentScript;
  var root = new URL(script.getAttribute("data-root") || "../", location.href).href;
  var FILTERS = ["domain", "level", "open", "frequency", "city", "format", "department"];
  var PAGE = 10;
  var TIMEOUT_MS = 20000;

  var form = document.getElementById("search-form");
  var input = document.getElementById("search-q");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var facetsBox = document.getElementById("search-facets");
  var more = document.getElementById("search-more");

  var worker = null;
  var nextId = 1;
  var pending = new Map();
  var state = readUrl();
  var limit = PAGE;
  var latest = 0;
  var departmentNames = null;
  var departmentsOpen = false;

  function readUrl() {
    var params = new URLSearchParams(location.search);
    var filters = [];
    FILTERS.forEach(function (name) {
      var value = params.get(name);
      if (value) filters.push([name, value]);
    });
    return { text: params.get("q") || "", filters: filters };
  }

  function writeUrl(push) {
    var params = new URLSearchParams();
    if (state.text) params.set("q", state.text);
    state.filters.forEach(function (f) { params.set(f[0], f[1]); });
    var query = params.toString();
    var url = location.pathname + (query ? "?" + query : "");
    if (url !== location.pathname + location.search) {
      history[push ? "pushState" : "replaceState"](null, "", url);
    }
  }

  function ask(message) {
    if (!worker) {
      worker = new Worker(root + "assets/search-worker.js");
      worker.onmessage = function (event) {
        var done = pending.get(event.data.id);
        if (done) { pending.delete(event.data.id); done(event.data); }
      };
      worker.onerror = function (event) {
        pending.forEach(function (done) { done({ error: event.message || "搜索程序无法启动" }); });
        pending.clear();
        worker = null;
      };
    }
    var id = nextId++;
    message.id = id;
    message.base = root;
    return new Promise(function (resolve) {
      var timer = setTimeout(function () {
        if (pending.has(id)) { pending.delete(id); resolve({ error: "搜索超时，服务器没有响应" }); }
      }, TIMEOUT_MS);
      pending.set(id, function (data) { clearTimeout(timer); resolve(data); });
      worker.postMessage(message);
    });
  }

  function setStatus(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", !!isError);
  }

  function run() {
    var text = state.text.trim();
    if (!text) {
      list.textContent = "";
      facetsBox.textContent = "";
      more.hidden = true;
      setStatus("请输入要查找的数据名称、部门或数据项，例如「公交」「企业信用」。");
      return;
    }
    var id = ++latest;
    setStatus("正在搜索…");
    list.setAttribute("aria-busy", "true");
    ask({ type: "search", query: { text: text, filters: state.filters, limit: limit } }).then(function (data) {
      if (id !== latest) return;
      list.removeAttribute("aria-busy");
      if (data.error) { showError(data.error); return; }
      show(data.answer);
    });
  }

  function showError(message) {
    list.textContent = "";
    more.hidden = true;
    setStatus("搜索索引加载失败：" + message + "。请检查网络后重试。", true);
    var retry = document.createElement("button");
    retry.type = "button";
    retry.className = "search-retry";
    retry.textContent = "重试";
    retry.addEventListener("click", run);
    var li = document.createElement("li");
    li.appendChild(retry);
    list.appendChild(li);
  }

  // Text with the searched words wrapped in <mark>, built as DOM nodes (never as HTML).
  function highlighted(text, words) {
    var fragment = document.createDocumentFragment();
    var lower = text.toLowerCase();
    var marks = [];
    words.forEach(function (word) {
      if (!word) return;
      var at = 0;
      while ((at = lower.indexOf(word, at)) >= 0) { marks.push([at, at + word.length]); at += word.length; }
    });
    marks.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });
    var position = 0;
    marks.forEach(function (m) {
      if (m[0] < position) return;
      fragment.appendChild(document.createTextNode(text.slice(position, m[0])));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(m[0], m[1]);
      fragment.appendChild(mark);
      position = m[1];
    });
    fragment.appendChild(document.createTextNode(text.slice(position)));
    return fragment;
  }

  function show(answer) {
    var words = answer.terms.map(function (t) { return t.replace(/…$/, ""); })
      .filter(function (t) { return t.length > 1 || /[a-z0-9]/.test(t); });
    var notes = [];
    if (answer.truncated) notes.push("关键词过长，只使用了前 64 个字符");
    if (answer.total === 0) {
      setStatus("没有找到与「" + state.text.trim() + "」相关的数据集。" +
        (state.filters.length ? "试试去掉筛选条件，" : "试试") + "更短或更常用的关键词。" + notes.join("；"));
    } else {
      var text = "找到 " + answer.total + " 个数据集";
      if (answer.mode === "any") text += "（没有同时包含全部词语的数据集，以下结果包含其中部分词语）";
      setStatus(text + "。" + notes.join("；"));
    }
    list.textContent = "";
    answer.results.forEach(function (hit) {
      var li = document.createElement("li");
      li.className = "card";
      var h3 = document.createElement("h3");
      var a = document.createElement("a");
      a.href = root + hit.url;
      a.appendChild(highlighted(hit.title, words));
      h3.appendChild(a);
      var meta = document.createElement("p");
      meta.className = "meta";
      meta.appendChild(highlighted(hit.department, words));
      if (hit.domain) meta.appendChild(document.createTextNode(" · " + hit.domain));
      var snippet = document.createElement("p");
      snippet.className = "snippet";
      snippet.appendChild(highlighted(hit.snippet, words));
      li.appendChild(h3);
      li.appendChild(meta);
      li.appendChild(snippet);
      list.appendChild(li);
    });
    more.hidden = answer.results.length >= answer.total;
    showFacets(answer);
  }

  function selected(name) {
    var found = state.filters.find(function (f) { return f[0] === name; });
    return found ? found[1] : null;
  }

  function toggle(name, value) {
    var current = selected(name);
    state.filters = state.filters.filter(function (f) { return f[0] !== name; });
    if (current !== value) state.filters.push([name, value]);
    limit = PAGE;
    writeUrl(true);
    run();
  }

  function facetList(name, values) {
    var ul = document.createElement("ul");
    ul.className = "facet";
    var chosen = selected(name);
    values.forEach(function (v) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.setAttribute("aria-pressed", String(chosen === v[0]));
      button.appendChild(document.createTextNode(v[1]));
      var count = document.createElement("span");
      count.className = "count";
      count.textContent = String(v[2]);
      button.appendChild(count);
      button.addEventListener("click", function () { toggle(name, v[0]); });
      li.appendChild(button);
      ul.appendChild(li);
    });
    return ul;
  }

  // Labels of facet values once seen, so a chosen value with no results keeps its name.
  var labels = {};

  function showFacets(answer) {
    answer.facets.forEach(function (facet) {
      labels[facet.name] = labels[facet.name] || {};
      facet.values.forEach(function (v) { labels[facet.name][v[0]] = v[1]; });
    });
    var focused = document.activeElement && facetsBox.contains(document.activeElement)
      ? document.activeElement.textContent : null;
    facetsBox.textContent = "";
    answer.facets.forEach(function (facet) {
      var values = facet.values.slice();
      var chosen = selected(facet.name);
      if (chosen && !values.some(function (v) { return v[0] === chosen; })) {
        values.push([chosen, (labels[facet.name] || {})[chosen] || chosen, 0]);
      }
      if (!values.length) return;
      var fieldset = document.createElement("fieldset");
      var legend = document.createElement("legend");
      legend.textContent = facet.label;
      fieldset.appendChild(legend);
      fieldset.appendChild(facetList(facet.name, values));
      facetsBox.appendChild(fieldset);
    });
    if (answer.departments.length) {
      var details = document.createElement("details");
      var summary = document.createElement("summary");
      summary.textContent = "部门（" + answer.departments.length + "）";
      details.appendChild(summary);
      facetsBox.appendChild(details);
      var filled = false;
      var fill = function () {
        if (!filled) { filled = true; fillDepartments(details, answer); }
      };
      // Opening it here queues a toggle event; `filled` keeps that from rendering the list
      // twice (which would drop the keyboard focus restored below).
      details.addEventListener("toggle", function () {
        departmentsOpen = details.open;
        if (details.open) fill();
      });
      if (departmentsOpen || selected("department")) {
        details.open = true;
        fill();
      }
    }
    if (focused) {
      var again = Array.from(facetsBox.querySelectorAll("button")).find(function (b) { return b.textContent === focused; });
      if (again) again.focus();
    }
  }

  function fillDepartments(details, answer) {
    var render = function (rows) {
      var names = new Map(rows.map(function (r) { return [r[0], r]; }));
      var values = answer.departments
        .filter(function (d) { return names.has(d[0]); })
        .map(function (d) { var r = names.get(d[0]); return [r[1], r[2], d[1]]; })
        .sort(function (a, b) { return b[2] - a[2]; })
        .slice(0, 30);
      Array.from(details.querySelectorAll("ul")).forEach(function (u) { u.remove(); });
      details.appendChild(facetList("department", values));
    };
    if (departmentNames) { render(departmentNames); return; }
    ask({ type: "departments" }).then(function (data) {
      if (data.error) { setStatus("部门列表加载失败：" + data.error, true); return; }
      departmentNames = data.departments;
      render(departmentNames);
    });
  }

  var typing = null;
  input.addEventListener("input", function () {
    clearTimeout(typing);
    typing = setTimeout(function () {
      state.text = input.value;
      limit = PAGE;
      writeUrl(false);
      run();
    }, 200);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(typing);
    state.text = input.value;
    limit = PAGE;
    writeUrl(true);
    run();
  });
  more.addEventListener("click", function () {
    limit += PAGE;
    var shown = list.children.length;
    run();
    // Keep keyboard users where they were: focus the first new result once it is there.
    var observer = new MutationObserver(function () {
      var next = list.children[shown];
      if (next) { observer.disconnect(); var link = next.querySelector("a"); if (link) link.focus(); }
    });
    observer.observe(list, { childList: true });
  });
  window.addEventListener("popstate", function () {
    state = readUrl();
    input.value = state.text;
    limit = PAGE;
    run();
  });

  input.value = state.text;
  if (state.text) run(); else input.focus();
})();
