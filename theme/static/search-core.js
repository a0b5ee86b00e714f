// Kaifang search engine: answers a query from the static index files.
// The same steps as search-index/src/query.rs (the `kaifang search` command); a test runs
// both on the same queries and compares. Runs in a Web Worker (search-worker.js) and in Node.
// No dependencies; `fetchBytes(path)` supplies files (path relative to the site root).
(function (root) {
  "use strict";

  var FORMAT = 1;
  var INDEX_ROOT = "search/";
  var DIRECTORY = "search/index.bin";
  var MAX_QUERY_CHARS = 64;
  var MAX_TERM_CHARS = 12;
  var COMPLETIONS = 5;
  var HEAD_RESULTS = 50;
  var IN_TITLE = 0x80;
  var MIX = 1048576; // 2^20
  var SLOT = 67108864; // 2^26: keys are department slot × 2^26 + dataset slot
  var NAME = /^[a-z]\/[0-9a-f]{10}\.bin$/;
  var SPACE = /^[\p{White_Space}\uFEFF]+|[\p{White_Space}\uFEFF]+$/gu;
  var HAN = /^[\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\u{20000}-\u{2FA1F}]$/u;
  var WORD = /^[\p{Alphabetic}\p{N}]$/u;

  function isHan(c) { return HAN.test(c); }
  function isWordChar(c) { return WORD.test(c); }

  // Code-point order (as Rust compares strings), not UTF-16 order.
  function cmp(a, b) {
    if (a === b) return 0;
    var ia = a[Symbol.iterator](), ib = b[Symbol.iterator]();
    for (;;) {
      var x = ia.next(), y = ib.next();
      if (x.done) return y.done ? 0 : -1;
      if (y.done) return 1;
      if (x.value !== y.value) return x.value.codePointAt(0) < y.value.codePointAt(0) ? -1 : 1;
    }
  }

  function fold(text) {
    var out = "";
    for (var c of text) {
      var n = c.codePointAt(0);
      if (n >= 0xff01 && n <= 0xff5e) c = String.fromCodePoint(n - 0xfee0);
      else if (n === 0x3000) c = " ";
      if (c >= "A" && c <= "Z") c = c.toLowerCase();
      out += c;
    }
    return out;
  }

  function mix(key) { return (key % MIX) ^ Math.floor(key / SLOT); }
  function departmentSlot(key) { return Math.floor(key / SLOT); }

  function DecodeError(path, reason) {
    var e = new Error(path + " is damaged: " + reason);
    e.kind = "damaged";
    return e;
  }

  function Reader(bytes, path) { this.b = bytes; this.at = 0; this.path = path; }
  Reader.prototype.varint = function () {
    var value = 0, scale = 1;
    for (var i = 0; i < 10; i++) {
      if (this.at >= this.b.length) throw DecodeError(this.path, "truncated");
      var byte = this.b[this.at++];
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
    }
    throw DecodeError(this.path, "bad varint");
  };
  Reader.prototype.magic = function (m) {
    for (var i = 0; i < 4; i++) {
      if (this.b[i] !== m.charCodeAt(i)) throw DecodeError(this.path, "not a " + m + " file");
    }
    this.at = 4;
  };
  Reader.prototype.postings = function () {
    var count = this.varint();
    if (count > (this.b.length - this.at) / 6) throw DecodeError(this.path, "truncated");
    var keys = new Array(count), impacts = new Uint8Array(count), facets = new Uint32Array(count);
    var key = 0;
    for (var i = 0; i < count; i++) {
      key += this.varint();
      if (this.at + 5 > this.b.length) throw DecodeError(this.path, "truncated");
      keys[i] = key;
      impacts[i] = this.b[this.at];
      facets[i] = (this.b[this.at + 1] | (this.b[this.at + 2] << 8) | (this.b[this.at + 3] << 16)) +
        this.b[this.at + 4] * 16777216;
      this.at += 5;
    }
    return { keys: keys, impacts: impacts, facets: facets };
  };

  var utf8 = new TextDecoder("utf-8", { fatal: true });

  function decodeShard(bytes, path) {
    var r = new Reader(bytes, path);
    r.magic("KFT1");
    var count = r.varint(), terms = [], previous = new Uint8Array(0);
    for (var i = 0; i < count; i++) {
      var shared = r.varint(), len = r.varint();
      if (shared > previous.length || r.at + len > bytes.length) throw DecodeError(path, "truncated");
      var term = new Uint8Array(shared + len);
      term.set(previous.subarray(0, shared));
      term.set(bytes.subarray(r.at, r.at + len), shared);
      r.at += len;
      previous = term;
      var df = r.varint();
      terms.push({ term: utf8.decode(term), df: df, postings: r.postings() });
    }
    return terms;
  }

  function decodeBlock(bytes, path) {
    var r = new Reader(bytes, path);
    r.magic("KFB1");
    return r.postings();
  }

  // Index files are stored gzip-compressed; a server may have decoded them already.
  function gunzip(bytes) {
    if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return Promise.resolve(bytes);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).arrayBuffer().then(function (b) { return new Uint8Array(b); });
  }

  function decodeKeys(bytes, path) {
    var r = new Reader(bytes, path);
    r.magic("KFC1");
    var count = r.varint();
    if (count > bytes.length) throw DecodeError(path, "truncated");
    var keys = new Array(count), key = 0;
    for (var i = 0; i < count; i++) { key += r.varint(); keys[i] = key; }
    return keys;
  }

  function json(bytes, path) {
    try { return JSON.parse(utf8.decode(bytes)); } catch (e) { throw DecodeError(path, e.message); }
  }

  // Runs: Han runs and other word runs; everything else separates.
  function runs(text) {
    var out = [], current = "", currentHan = false;
    for (var c of text) {
      if (!isWordChar(c)) {
        if (current) { out.push(current); current = ""; }
        continue;
      }
      var han = isHan(c);
      if (current && han !== currentHan) { out.push(current); current = ""; }
      currentHan = han;
      current += c;
    }
    if (current) out.push(current);
    return out;
  }

  function allHan(chars) { return chars.every(isHan); }

  function candidates(run) {
    var chars = Array.from(run);
    if (!allHan(chars) || chars.length === 1) return [[run, 0, chars.length]];
    var out = [];
    for (var start = 0; start < chars.length; start++) {
      for (var len = 2; len <= Math.min(MAX_TERM_CHARS, chars.length - start); len++) {
        out.push([chars.slice(start, start + len).join(""), start, len]);
      }
    }
    return out;
  }

  // Longest-match segmentation; returns [pieces, tail] where a piece is [known, text] and tail
  // is [text, pieceCount] of the trailing unknown stretch, or null.
  function segment(run, vocabulary) {
    var chars = Array.from(run);
    if (!allHan(chars) || chars.length === 1) {
      return vocabulary.has(run) ? [[[true, run]], null] : [[[false, run]], [run, 1]];
    }
    var pieces = [], unknown = [];
    function flush() {
      if (!unknown.length) return null;
      if (unknown.length === 1) pieces.push([false, unknown[0]]);
      for (var j = 0; j + 1 < unknown.length; j++) pieces.push([false, unknown[j] + unknown[j + 1]]);
      var tail = [unknown.join(""), Math.max(1, unknown.length - 1)];
      unknown = [];
      return tail;
    }
    var i = 0;
    while (i < chars.length) {
      var longest = 0;
      for (var len = Math.min(MAX_TERM_CHARS, chars.length - i); len >= 2; len--) {
        if (vocabulary.has(chars.slice(i, i + len).join(""))) { longest = len; break; }
      }
      if (longest) {
        flush();
        pieces.push([true, chars.slice(i, i + longest).join("")]);
        i += longest;
      } else {
        unknown.push(chars[i]);
        i += 1;
      }
    }
    var tail = flush();
    return [pieces, tail];
  }

  function complete(prefix, vocabulary) {
    var found = [];
    vocabulary.forEach(function (df, term) {
      if (term !== prefix && term.startsWith(prefix)) found.push([term, df]);
    });
    found.sort(function (a, b) { return b[1] - a[1] || cmp(a[0], b[0]); });
    return found.slice(0, COMPLETIONS).map(function (f) { return f[0]; });
  }

  function has(facet, code, value) {
    if (facet.multi) return Math.floor(code / Math.pow(2, facet.offset + value)) % 2 === 1;
    return Math.floor(code / Math.pow(2, facet.offset)) % Math.pow(2, facet.width) === value + 1;
  }

  function Engine(fetchBytes, directory, bytes) {
    this.fetchBytes = fetchBytes;
    this.directory = directory;
    this.cache = new Map();
    this.shardCache = new Map();
    this.fetched = [{ path: DIRECTORY, bytes: bytes, round: 1 }];
    this.round = 1;
  }

  function open(fetchBytes) {
    return Promise.resolve(fetchBytes(DIRECTORY)).then(function (bytes) {
      return gunzip(bytes).then(function (plain) {
        var directory = json(plain, DIRECTORY);
        if (directory.format !== FORMAT) {
          throw DecodeError(DIRECTORY, "format " + directory.format + " (this reader knows " + FORMAT + ")");
        }
        return new Engine(fetchBytes, directory, bytes.length);
      }, function (e) { throw DecodeError(DIRECTORY, e.message); });
    });
  }

  Engine.prototype.fetchRound = function (names) {
    var self = this;
    var missing = Array.from(names).filter(function (n) { return !self.cache.has(n); }).sort(cmp);
    if (!missing.length) return Promise.resolve();
    var bad = missing.find(function (n) { return !NAME.test(n); });
    if (bad) return Promise.reject(DecodeError(DIRECTORY, "`" + bad + "` is not an index file name"));
    self.round += 1;
    var round = self.round;
    return Promise.all(missing.map(function (name) {
      var path = INDEX_ROOT + name;
      return Promise.resolve(self.fetchBytes(path)).then(function (bytes) {
        self.fetched.push({ path: path, bytes: bytes.length, round: round });
        return gunzip(bytes).then(function (plain) { self.cache.set(name, plain); },
          function (e) { throw DecodeError(path, e.message); });
      });
    }));
  };

  Engine.prototype.shardOf = function (term) {
    var shards = this.directory.shards;
    if (!shards.length) return -1;
    var lo = 0, hi = shards.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (cmp(shards[mid][0], term) <= 0) lo = mid + 1; else hi = mid;
    }
    return Math.max(0, lo - 1);
  };

  Engine.prototype.longTerm = function (term) {
    var long = this.directory.long, lo = 0, hi = long.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1, c = cmp(long[mid][0], term);
      if (c === 0) return long[mid];
      if (c < 0) lo = mid + 1; else hi = mid;
    }
    return null;
  };

  Engine.prototype.shard = function (name) {
    if (!this.shardCache.has(name)) {
      this.shardCache.set(name, decodeShard(this.cache.get(name), INDEX_ROOT + name));
    }
    return this.shardCache.get(name);
  };

  Engine.prototype.vocabulary = function () {
    var vocabulary = new Map();
    this.directory.long.forEach(function (l) { vocabulary.set(l[0], l[1]); });
    var self = this;
    this.directory.shards.forEach(function (s) {
      if (self.cache.has(s[1])) {
        self.shard(s[1]).forEach(function (t) { vocabulary.set(t.term, t.df); });
      }
    });
    return vocabulary;
  };

  Engine.prototype.postings = function (term) {
    var long = this.longTerm(term);
    if (long) {
      var parts = [], self = this;
      long[2].forEach(function (name) { parts.push(decodeBlock(self.cache.get(name), INDEX_ROOT + name)); });
      var all = [];
      parts.forEach(function (p) {
        for (var i = 0; i < p.keys.length; i++) all.push([p.keys[i], p.impacts[i], p.facets[i]]);
      });
      all.sort(function (a, b) { return a[0] - b[0]; });
      return { df: long[1], list: all };
    }
    var i = this.shardOf(term);
    if (i >= 0 && this.cache.has(this.directory.shards[i][1])) {
      var terms = this.shard(this.directory.shards[i][1]);
      for (var t = 0; t < terms.length; t++) {
        if (terms[t].term === term) {
          var p = terms[t].postings, list = [];
          for (var k = 0; k < p.keys.length; k++) list.push([p.keys[k], p.impacts[k], p.facets[k]]);
          return { df: terms[t].df, list: list };
        }
      }
    }
    return { df: 0, list: [] };
  };

  // query: { text, filters: [[dim, value]], limit }
  Engine.prototype.search = function (query) {
    var self = this, d = this.directory;
    var folded = fold((query.text || "").replace(SPACE, ""));
    var allChars = Array.from(folded);
    var truncated = allChars.length > MAX_QUERY_CHARS;
    var text = allChars.slice(0, MAX_QUERY_CHARS).join("");
    var textRuns = runs(text);
    var lastChar = Array.from(text).pop();
    var openEnd = lastChar !== undefined && isWordChar(lastChar);
    var filters = query.filters || [];

    var wanted = new Set();
    var headOnly = textRuns.length === 1 && self.headEligible(query);
    textRuns.forEach(function (run) {
      // A run that is itself a long term segments as that term: no shard can change it.
      var whole = Array.from(run).length <= MAX_TERM_CHARS ? self.longTerm(run) : null;
      if (whole) {
        if (headOnly) wanted.add(whole[3]);
        else self.wantLong(whole, textRuns.length > 1, wanted);
        return;
      }
      var found = candidates(run);
      var long = found.filter(function (c) { return self.longTerm(c[0]); });
      found.forEach(function (c) {
        var term = self.longTerm(c[0]);
        if (term) {
          var inside = long.some(function (o) { return o[1] <= c[1] && o[1] + o[2] >= c[1] + c[2] && o[2] > c[2]; });
          if (!inside) self.wantLong(term, textRuns.length > 1 || c[2] < Array.from(run).length, wanted);
        } else {
          var i = self.shardOf(c[0]);
          if (i >= 0) wanted.add(d.shards[i][1]);
        }
      });
    });
    // Shards for completing an unfinished last word, unless that word is a long term.
    if (openEnd && textRuns.length && !self.longTerm(textRuns[textRuns.length - 1])) {
      var lastChars = Array.from(textRuns[textRuns.length - 1]);
      for (var start = 0; start < lastChars.length; start++) {
        var tail = lastChars.slice(start).join(""), i = self.shardOf(tail);
        if (i >= 0 && !self.longTerm(tail)) {
          wanted.add(d.shards[i][1]);
          var next = d.shards[i + 1];
          if (next && next[0].startsWith(tail)) wanted.add(next[1]);
        }
      }
    }
    if (filters.some(function (f) { return f[0] === "department"; })) wanted.add(d.departments);

    return self.fetchRound(wanted).then(function () {
      var vocabulary = self.vocabulary();
      var pieces = [], tail = null, lastRunPieces = 0;
      textRuns.forEach(function (run) {
        var s = segment(run, vocabulary);
        lastRunPieces = s[0].length;
        pieces = pieces.concat(s[0]);
        tail = s[1];
      });
      var labels = [], wantedTerms = [];
      var completion = openEnd ? tail : null;
      if (completion && completion[1] < lastRunPieces) {
        var before = pieces[pieces.length - completion[1] - 1];
        if (before[0]) {
          var longer = before[1] + completion[0];
          if (complete(longer, vocabulary).length) completion = [longer, completion[1] + 1];
        }
      }
      function add(piece) {
        if (labels.indexOf(piece[1]) < 0) {
          labels.push(piece[1]);
          wantedTerms.push(piece[0] ? [piece[1]] : []);
        }
      }
      var keep = pieces.length - (completion ? completion[1] : 0);
      pieces.slice(0, keep).forEach(add);
      if (completion) {
        var completions = complete(completion[0], vocabulary);
        if (!completions.length) pieces.slice(keep).forEach(add);
        else { labels.push(completion[0] + "…"); wantedTerms.push(completions); }
      }
      // One long word and nothing else: its head file holds the answer.
      if (wantedTerms.length === 1 && wantedTerms[0].length === 1 && self.headEligible(query)) {
        var single = self.longTerm(wantedTerms[0][0]);
        if (single) {
          return self.fetchRound(new Set([single[3]])).then(function () {
            var head = json(self.cache.get(single[3]), INDEX_ROOT + single[3]);
            return self.evaluateHead(query, text, truncated, labels, single[1], head);
          });
        }
      }
      // A word in 90% of the datasets or more, next to a word that is not, is checked against
      // its complement instead of its blocks. If that leaves no dataset with every word, the
      // "any" answer needs the word's own postings: rank again with blocks.
      return self.queryTerms(labels, wantedTerms, true).then(function (terms) {
        var ranked = self.rank(query, terms);
        var uses = terms.some(function (t) { return t.without; });
        if (!(uses && ranked.mode === "any")) return ranked;
        return self.queryTerms(labels, wantedTerms, false).then(function (again) {
          return self.rank(query, again);
        });
      }).then(function (ranked) {
        return self.finish(text, truncated, labels, ranked);
      });
    });
  };

  Engine.prototype.queryTerms = function (labels, wantedTerms, useComplements) {
    var self = this;
    function complementOf(alternatives) {
      if (alternatives.length !== 1) return null;
      var long = self.longTerm(alternatives[0]);
      return long && long[4] ? long[4] : null;
    }
    var anchored = useComplements &&
      wantedTerms.some(function (alts) { return alts.length > 0 && !complementOf(alts); });
    var complements = wantedTerms.map(function (alts) { return anchored ? complementOf(alts) : null; });
    var more = new Set();
    wantedTerms.forEach(function (terms, i) {
      if (complements[i]) { more.add(complements[i]); return; }
      terms.forEach(function (t) {
        var long = self.longTerm(t);
        if (long) long[2].forEach(function (n) { more.add(n); });
      });
    });
    return self.fetchRound(more).then(function () {
      return labels.map(function (label, i) {
        if (complements[i]) {
          var name = complements[i];
          return { label: label, alternatives: [], without: new Set(decodeKeys(self.cache.get(name), INDEX_ROOT + name)) };
        }
        return { label: label, alternatives: wantedTerms[i].map(function (t) { return self.postings(t); }), without: null };
      });
    });
  };

  Engine.prototype.wantLong = function (term, others, wanted) {
    if (others && term[4]) wanted.add(term[4]);
    else term[2].forEach(function (n) { wanted.add(n); });
  };

  Engine.prototype.headEligible = function (query) {
    return !(query.filters || []).length && query.limit > 0 && query.limit <= HEAD_RESULTS;
  };

  Engine.prototype.idf = function (df) {
    return Math.log(1 + (this.directory.docs - df + 0.5) / (df + 0.5));
  };

  Engine.prototype.weight = function (impact) {
    var scoring = this.directory.scoring;
    var bonus = (impact & IN_TITLE) ? scoring.title : 0;
    return (impact & 0x7f) / 127 * scoring.qmax + bonus;
  };

  Engine.prototype.evaluateHead = function (query, text, truncated, labels, df, head) {
    var self = this, idf = this.idf(df);
    var results = head.top.map(function (p) {
      return [p[0], Math.round(idf * self.weight(p[1]) * 1e6) / 1e6];
    });
    results.sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; });
    results = results.slice(0, query.limit);
    var facets = this.directory.facets.map(function (facet, d) {
      var values = [];
      facet.values.forEach(function (v, i) { if (head.facets[d][i] > 0) values.push([v[0], v[1], head.facets[d][i]]); });
      return { name: facet.name, label: facet.label, values: values };
    });
    return self.display(results).then(function (hits) {
      return {
        query: text, truncated: truncated, terms: labels, mode: "all", total: df, results: hits,
        facets: facets, departments: head.departments,
        fetched: self.fetched.slice(),
        bytes: self.fetched.reduce(function (s, f) { return s + f.bytes; }, 0),
        round_trips: self.round
      };
    });
  };

  Engine.prototype.departmentSlot = function (code) {
    var name = this.directory.departments;
    var rows = json(this.cache.get(name) || new Uint8Array(0), INDEX_ROOT + name);
    for (var i = 0; i < rows.length; i++) if (rows[i][1] === code) return rows[i][0];
    return null;
  };

  // Ranks the datasets matching `terms` and counts facets.
  Engine.prototype.rank = function (query, terms) {
    var self = this, d = this.directory;
    var matched = new Map();
    var scored = terms.filter(function (t) { return !t.without; });
    var withouts = terms.filter(function (t) { return t.without; }).map(function (t) { return t.without; });
    function excluded(key) { return withouts.some(function (w) { return w.has(key); }); }
    scored.forEach(function (term) {
      var best = new Map();
      term.alternatives.forEach(function (alt) {
        var df = alt.df;
        var idf = self.idf(df);
        alt.list.forEach(function (p) {
          var weight = idf * self.weight(p[1]);
          var entry = best.get(p[0]);
          if (!entry) { entry = [0, p[2]]; best.set(p[0], entry); }
          if (weight > entry[0]) entry[0] = weight;
        });
      });
      Array.from(best.keys()).sort(function (a, b) { return a - b; }).forEach(function (key) {
        var b = best.get(key), entry = matched.get(key);
        if (!entry) { entry = [0, b[1], 0]; matched.set(key, entry); }
        entry[0] += b[0];
        entry[2] += 1;
      });
    });
    var keys = Array.from(matched.keys()).sort(function (a, b) { return a - b; });
    var mode = terms.length ? "all" : "none";
    // Words checked by complement narrow the results but add nothing to the score, and a query
    // with "any" of its words ignores them.
    var candidates = keys.filter(function (k) { return matched.get(k)[2] === scored.length && !excluded(k); });
    if (!candidates.length && terms.length > 1) { mode = "any"; candidates = keys; }
    candidates = candidates.map(function (k) { var m = matched.get(k); return [k, m[0], m[1]]; });

    var facets = d.facets, facetFilters = [], department;
    (query.filters || []).forEach(function (f) {
      if (f[0] === "department") { department = { slot: self.departmentSlot(f[1]) }; return; }
      for (var i = 0; i < facets.length; i++) {
        if (facets[i].name === f[0]) {
          var v = facets[i].values.findIndex(function (x) { return x[0] === f[1]; });
          facetFilters.push([i, v]);
          return;
        }
      }
    });
    function passes(code, key, skip) {
      for (var i = 0; i < facetFilters.length; i++) {
        var f = facetFilters[i];
        if (f[0] === skip) continue;
        if (f[1] < 0 || !has(facets[f[0]], code, f[1])) return false;
      }
      if (skip === "department" || !department) return true;
      return department.slot !== null && department.slot === departmentSlot(key);
    }
    var facetCounts = facets.map(function (facet, fi) {
      var counts = facet.values.map(function () { return 0; });
      candidates.forEach(function (c) {
        if (passes(c[2], c[0], fi)) {
          for (var v = 0; v < counts.length; v++) if (has(facet, c[2], v)) counts[v] += 1;
        }
      });
      var values = [];
      facet.values.forEach(function (v, i) { if (counts[i] > 0) values.push([v[0], v[1], counts[i]]); });
      return { name: facet.name, label: facet.label, values: values };
    });
    var departments = new Map();
    candidates.forEach(function (c) {
      if (passes(c[2], c[0], "department")) {
        var slot = departmentSlot(c[0]);
        departments.set(slot, (departments.get(slot) || 0) + 1);
      }
    });
    var results = candidates
      .filter(function (c) { return passes(c[2], c[0], null); })
      .map(function (c) { return [c[0], Math.round(c[1] * 1e6) / 1e6]; });
    results.sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; });
    var total = results.length;
    if (query.limit > 0) results = results.slice(0, query.limit);
    return {
      mode: mode, total: total, results: results, facets: facetCounts,
      departments: Array.from(departments.entries()).sort(function (a, b) { return a[0] - b[0]; })
    };
  };

  // Fetches display data for the ranked results and builds the answer.
  Engine.prototype.finish = function (text, truncated, labels, ranked) {
    var self = this;
    return self.display(ranked.results).then(function (hits) {
      return {
        query: text,
        truncated: truncated,
        terms: labels,
        mode: ranked.mode,
        total: ranked.total,
        results: hits,
        facets: ranked.facets,
        departments: ranked.departments,
        fetched: self.fetched.slice(),
        bytes: self.fetched.reduce(function (s, f) { return s + f.bytes; }, 0),
        round_trips: self.round
      };
    });
  };

  Engine.prototype.display = function (results) {
    var self = this, d = this.directory;
    var buckets = Math.max(1, d.buckets), pageSize = Math.max(1, d.page_size);
    function bucketOf(key) { return mix(key) & (buckets - 1); }
    var pages = new Set();
    results.forEach(function (r) {
      var page = d.pages[Math.floor(bucketOf(r[0]) / pageSize)];
      if (page) pages.add(page);
    });
    return self.fetchRound(pages).then(function () {
      var shards = new Set(), parsed = new Map();
      pages.forEach(function (page) { parsed.set(page, json(self.cache.get(page), INDEX_ROOT + page)); });
      results.forEach(function (r) {
        var bucket = bucketOf(r[0]);
        var page = d.pages[Math.floor(bucket / pageSize)];
        if (!page) throw DecodeError(DIRECTORY, "no display page for bucket " + bucket);
        var name = parsed.get(page)[bucket % pageSize];
        if (!name) throw DecodeError(INDEX_ROOT + page, "no display shard for bucket " + bucket);
        shards.add(name);
      });
      return self.fetchRound(shards).then(function () {
        var byKey = new Map();
        shards.forEach(function (name) {
          json(self.cache.get(name), INDEX_ROOT + name).docs.forEach(function (doc) { byKey.set(doc[0], doc); });
        });
        return results.map(function (r) {
          var doc = byKey.get(r[0]);
          if (!doc) throw DecodeError(INDEX_ROOT, "dataset key " + r[0] + " has no display data");
          return {
            id: doc[1], title: doc[2], department: doc[3], domain: doc[4], snippet: doc[5],
            url: "datasets/" + doc[1] + "/", score: r[1]
          };
        });
      });
    });
  };

  Engine.prototype.departmentNames = function () {
    var self = this, name = this.directory.departments;
    return self.fetchRound(new Set([name])).then(function () {
      return json(self.cache.get(name), INDEX_ROOT + name);
    });
  };

  var api = { open: open, fold: fold, runs: runs, segment: segment, FORMAT: FORMAT };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.KaifangSearch = api;
})(typeof self !== "undefined" ? self : this);
