// Kaifang search worker: keeps the index engine (search-core.js) off the page's thread.
// Messages in: { id, type: "search", base, query } or { id, type: "departments", base }.
// Messages out: { id, answer } / { id, departments } / { id, error }.
/* global KaifangSearch */
importScripts("search-core.js");

var opening = null;
var base = "";

var FETCH_TIMEOUT_MS = 15000;

// A request that stalls is aborted, so a retry asks again instead of waiting on it forever.
function fetchBytes(path) {
  var controller = new AbortController();
  var timer = setTimeout(function () { controller.abort(); }, FETCH_TIMEOUT_MS);
  return fetch(base + path, { signal: controller.signal }).catch(function (error) {
    throw new Error(error && error.name === "AbortError" ? "读取 " + path + " 超时" : "无法读取 " + path + "（" + error.message + "）");
  }).finally(function () { clearTimeout(timer); }).then(function (response) {
    if (!response.ok) {
      throw new Error("无法读取 " + path + "（HTTP " + response.status + "）");
    }
    return response.arrayBuffer();
  }).then(function (buffer) {
    return new Uint8Array(buffer);
  });
}

self.onmessage = function (event) {
  var message = event.data;
  base = message.base;
  if (!opening) {
    opening = KaifangSearch.open(fetchBytes);
  }
  var current = opening;
  current.then(function (engine) {
    if (message.type === "departments") {
      return engine.departmentNames().then(function (rows) {
        self.postMessage({ id: message.id, departments: rows });
      });
    }
    return engine.search(message.query).then(function (answer) {
      self.postMessage({ id: message.id, answer: answer });
    });
  }).catch(function (error) {
    // A failed directory fetch is retried on the next message.
    current.catch(function () { if (opening === current) opening = null; });
    self.postMessage({ id: message.id, error: String(error && error.message || error) });
  });
};
