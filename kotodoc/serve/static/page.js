// The page for officials: check a case, see each finding at its line, preview, download, print.
// It talks to this service only (the Content-Security-Policy allows nothing else) and stores
// nothing in the browser: the case lives in the text field and in memory until the tab is closed.
"use strict";

(() => {
  const STRINGS = window.KOTODOC_STRINGS;
  const UI_LANGS = ["fi", "sv", "en"];
  const KINDS = ["integration-plan", "minor-plan", "family-plan", "interpretation-claim"];
  const $ = (id) => document.getElementById(id);

  const editor = $("editor");
  const gutter = $("gutter");
  const marks = $("marks");
  const status = $("status");
  const summary = $("summary");
  const list = $("finding-list");
  const frame = $("pdf");

  const state = {
    lang: pickLanguage(),
    kinds: KINDS,
    kindNames: {}, // kind -> {fi, sv, en}: the service's names (its term catalogue)
    report: null, // the last findings shown: {errors, warnings}
    checkedText: null, // the text they belong to
    pdf: null, // {key, blob, name, url}: the PDF made last, reused while the text is unchanged
    status: null, // the last status: [key, ...arguments], said again in a newly chosen language
    busy: false,
  };

  // ---- language ------------------------------------------------------------------------------

  function pickLanguage() {
    const asked = new URLSearchParams(location.search).get("lang");
    if (UI_LANGS.includes(asked)) return asked;
    for (const tag of navigator.languages || [navigator.language || ""]) {
      const primary = tag.toLowerCase().split("-")[0];
      if (UI_LANGS.includes(primary)) return primary;
      if (primary === "nb" || primary === "nn" || primary === "no" || primary === "da") return "sv";
    }
    return "fi";
  }

  function t(key, ...args) {
    const value = STRINGS[state.lang][key];
    return typeof value === "function" ? value(...args) : value;
  }

  function applyLanguage() {
    document.documentElement.lang = state.lang;
    for (const node of document.querySelectorAll("[data-t]")) {
      if (node.tagName === "TITLE") document.title = t(node.dataset.t);
      else node.textContent = t(node.dataset.t);
    }
    for (const node of document.querySelectorAll("[data-t-title]")) node.title = t(node.dataset.tTitle);
    for (const button of document.querySelectorAll("[data-ui-lang]")) {
      button.setAttribute("aria-pressed", String(button.dataset.uiLang === state.lang));
    }
    fillKinds();
    if (state.report) showFindings(state.report);
    else showSummary();
    if (state.status) say(...state.status);
  }

  function kindName(kind) {
    return (state.kindNames[kind] || {})[state.lang] || kind;
  }

  function fillKinds() {
    const select = $("kind");
    const chosen = select.value;
    select.replaceChildren(...state.kinds.map((kind) => {
      const option = document.createElement("option");
      option.value = kind;
      option.textContent = kindName(kind);
      return option;
    }));
    if (chosen) select.value = chosen;
  }

  // ---- the editor: line numbers and the lines that have findings ------------------------------

  function lineHeight() {
    return parseFloat(getComputedStyle(editor).lineHeight);
  }

  // Redrawn when the number of lines or the marked lines change, not at every key.
  let drawn = "";
  function drawGutter() {
    const count = editor.value.split("\n").length;
    const levels = lineLevels();
    const key = `${count}:${[...levels].map(([line, mark]) => `${line}${mark.level}${mark.title}`).join(";")}`;
    if (key === drawn) {
      syncScroll();
      return;
    }
    drawn = key;
    const lines = document.createDocumentFragment(); // not a spread: a long file has many lines
    for (let n = 1; n <= count; n++) {
      const div = document.createElement("div");
      div.textContent = String(n);
      const mark = levels.get(n);
      if (mark) {
        div.className = mark.level;
        div.title = mark.title; // the messages at the line itself, for the mouse
      }
      lines.append(div);
    }
    gutter.replaceChildren(lines);
    drawMarks(levels);
    syncScroll();
  }

  // The lines with findings: line -> {level (the worst), title (every message at the line)}.
  function lineLevels() {
    const levels = new Map();
    if (!state.report || state.checkedText !== editor.value) return levels;
    const add = (f, level) => {
      if (!f.line) return;
      const mark = levels.get(f.line);
      const text = `${t(level)}: ${f.message || ""}`;
      if (!mark) levels.set(f.line, {level, title: text});
      else levels.set(f.line, {level: mark.level === "error" ? "error" : level, title: `${mark.title}\n${text}`});
    };
    for (const f of state.report.errors) add(f, "error");
    for (const f of state.report.warnings) add(f, "warning");
    return levels;
  }

  function drawMarks(levels) {
    const height = lineHeight();
    const top = parseFloat(getComputedStyle(editor).paddingTop);
    marks.replaceChildren(...[...levels].map(([line, mark]) => {
      const band = document.createElement("div");
      band.className = `band ${mark.level}`;
      band.style.top = `${top + (line - 1) * height}px`;
      band.style.height = `${height}px`;
      return band;
    }));
  }

  function syncScroll() {
    gutter.scrollTop = editor.scrollTop;
    marks.style.transform = `translate(${-editor.scrollLeft}px, ${-editor.scrollTop}px)`;
  }

  function goToLine(line, column) {
    const lines = editor.value.split("\n");
    const index = Math.min(Math.max(line, 1), lines.length) - 1;
    let start = 0;
    for (let i = 0; i < index; i++) start += lines[i].length + 1;
    const end = start + lines[index].length;
    editor.focus();
    editor.setSelectionRange(Math.min(start + Math.max((column || 1) - 1, 0), end), end);
    scrollToLine(index + 1);
  }

  // Bring a line into the editor's view (a third from the top) unless it is in view already.
  function scrollToLine(line) {
    const top = (line - 1) * lineHeight();
    if (top < editor.scrollTop || top + 2 * lineHeight() > editor.scrollTop + editor.clientHeight) {
      editor.scrollTop = Math.max(0, top - editor.clientHeight / 3);
    }
    syncScroll();
  }

  function setText(text) {
    editor.value = text;
    editor.scrollTop = 0;
    forgetResults();
    drawGutter();
  }

  function forgetResults() {
    state.report = null;
    state.checkedText = null;
    dropPdf();
    list.replaceChildren();
    editor.removeAttribute("aria-invalid");
    showSummary();
  }

  // ---- talking to the service -----------------------------------------------------------------

  function contentType(text) {
    return /^\s*[{[]/.test(text) ? "application/json" : "application/yaml";
  }

  async function post(path, params, text) {
    const query = new URLSearchParams({...params, ui_lang: state.lang});
    return fetch(`${path}?${query}`, {
      method: "POST",
      body: text,
      headers: {"Content-Type": contentType(text)},
      credentials: "same-origin",
      cache: "no-store",
    });
  }

  // The findings as `kotodoc validate --json` gives them: one report, or a list of one. Their
  // messages are in the language the service names (Content-Language); without one, English.
  function reportOf(data, response) {
    const report = Array.isArray(data) ? data[0] || {} : data || {};
    const lang = (response.headers.get("Content-Language") || "en").split(",")[0].trim();
    return {errors: report.errors || [], warnings: report.warnings || [], lang};
  }

  // What to tell the official about a refused request; the service's own code names the case.
  async function problem(response) {
    let code = "";
    try {
      code = String((await response.json()).code || "");
    } catch (error) {
      // Not JSON (a proxy's page): the status alone.
    }
    if (response.status === 401) return ["signIn"];
    if (response.status === 413) return ["tooLarge"];
    if (response.status === 429 || response.status === 503) return ["busy"];
    if (response.status === 504) return ["timeout"];
    if (code === "render-failed") return ["renderFailed"];
    return ["serverError", code ? `${response.status} ${code}` : response.status];
  }

  // The findings header: base64url of UTF-8 JSON; null when the service sent the counts only.
  function headerFindings(response) {
    const value = response.headers.get("X-Kotodoc-Findings") || "";
    try {
      const binary = atob(value.replace(/-/g, "+").replace(/_/g, "/"));
      const data = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
      return Array.isArray(data.errors) && Array.isArray(data.warnings) ? reportOf(data, response) : null;
    } catch (error) {
      return null;
    }
  }

  async function withBusy(work) {
    if (state.busy) return;
    state.busy = true;
    try {
      await work();
    } catch (error) {
      say("networkError");
      console.warn("kotodoc:", error && error.name);
    } finally {
      state.busy = false;
    }
  }

  function hasText() {
    if (editor.value.trim()) return true;
    say("empty");
    return false;
  }

  async function check() {
    if (!hasText()) return;
    // The list is being renewed: assistive technology waits for the new one.
    list.setAttribute("aria-busy", "true");
    try {
      await checkText(editor.value);
    } finally {
      list.removeAttribute("aria-busy");
    }
  }

  async function checkText(text) {
    say("checking");
    const response = await post("/v1/validate", {}, text);
    if (!response.ok) {
      say(...await problem(response));
      return;
    }
    showFindings(reportOf(await response.json(), response), text);
    sayVerdict();
    const first = state.report.errors.find((f) => f.line);
    if (first) scrollToLine(first.line);
    // In one column the verdict is below the buttons: bring it into sight.
    if (window.matchMedia("(max-width: 900px)").matches) status.scrollIntoView({block: "nearest"});
  }

  // Make the document in `format`; returns {blob, name, zip} or null after saying why not.
  async function make(format) {
    const text = editor.value;
    const params = {format};
    if ($("doc-lang").value) params.lang = $("doc-lang").value;
    say("rendering");
    const response = await post("/v1/render", params, text);
    if (response.status === 422) {
      showFindings(reportOf(await response.json(), response), text);
      sayVerdict();
      return null;
    }
    if (!response.ok) {
      say(...await problem(response));
      return null;
    }
    const findings = headerFindings(response);
    const blob = await response.blob();
    if (findings) showFindings(findings, text);
    else await check(); // too many findings for a header: ask for them
    const zip = /zip/.test(blob.type);
    return {blob, zip, name: fileName(response, zip ? "zip" : format)};
  }

  // The file's name as the service gives it (built from the case id, never from a person), or a
  // plain one; nothing from the case text is put into it here.
  function fileName(response, extension) {
    const header = response.headers.get("Content-Disposition") || "";
    const match = /filename="?([A-Za-z0-9._+-]+)"?/.exec(header);
    return match ? match[1] : `kotodoc.${extension}`;
  }

  function pdfKey() {
    return `${$("doc-lang").value}\n${editor.value}`;
  }

  async function pdf() {
    if (state.pdf && state.pdf.key === pdfKey()) return state.pdf;
    const key = pdfKey();
    const made = await make("pdf");
    if (!made) return null;
    const blob = made.zip ? await firstPdf(made.blob) : made.blob;
    dropPdf();
    state.pdf = {key, blob, zip: made.zip ? made : null, name: made.name};
    return state.pdf;
  }

  async function preview() {
    if (!hasText()) return;
    const made = await pdf();
    if (!made) return;
    if (!made.blob) {
      say("zip");
      save(made.zip.blob, made.zip.name);
      return;
    }
    show(made);
    say(made.zip ? "zipPreview" : "rendered");
  }

  function show(made) {
    if (!made.url) made.url = URL.createObjectURL(new Blob([made.blob], {type: "application/pdf"}));
    // The viewer opens without its thumbnails, the page as wide as the frame.
    const view = `${made.url}#navpanes=0&view=FitH`;
    if (frame.src !== view) frame.src = view;
    frame.hidden = false;
    $("preview-empty").hidden = true;
  }

  function dropPdf() {
    if (state.pdf && state.pdf.url) URL.revokeObjectURL(state.pdf.url);
    state.pdf = null;
    frame.removeAttribute("src");
    frame.hidden = true;
    $("preview-empty").hidden = false;
  }

  async function downloadPdf() {
    if (!hasText()) return;
    const made = await pdf();
    if (!made) return;
    if (made.zip) {
      save(made.zip.blob, made.zip.name);
      say("zip");
    } else {
      save(made.blob, made.name);
      say("downloaded");
    }
  }

  async function downloadDocx() {
    if (!hasText()) return;
    const made = await make("docx");
    if (!made) return;
    save(made.blob, made.name);
    say(made.zip ? "zip" : "downloaded");
  }

  async function print() {
    if (!hasText()) return;
    const made = await pdf();
    if (!made || !made.blob) return;
    show(made);
    say("rendered");
    // The PDF viewer in the frame prints the document itself; wait until it has loaded.
    await new Promise((resolve) => {
      if (frame.dataset.loaded === frame.src) resolve();
      else frame.addEventListener("load", resolve, {once: true});
    });
    try {
      frame.contentWindow.focus();
      frame.contentWindow.print();
    } catch (error) {
      window.open(made.url, "_blank", "noopener");
      say("printFallback");
    }
  }

  function save(blob, name) {
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  // The first PDF in a ZIP (the plan; its notices follow), read with the browser's own inflater.
  async function firstPdf(blob) {
    const bytes = new Uint8Array(await blob.arrayBuffer());
    const view = new DataView(bytes.buffer);
    let at = bytes.length - 22;
    while (at >= 0 && view.getUint32(at, true) !== 0x06054b50) at--;
    if (at < 0) return null;
    let entry = view.getUint32(at + 16, true);
    const count = view.getUint16(at + 10, true);
    const decoder = new TextDecoder();
    for (let i = 0; i < count; i++) {
      const method = view.getUint16(entry + 10, true);
      const size = view.getUint32(entry + 20, true);
      const nameLength = view.getUint16(entry + 28, true);
      const extra = view.getUint16(entry + 30, true);
      const comment = view.getUint16(entry + 32, true);
      const local = view.getUint32(entry + 42, true);
      const name = decoder.decode(bytes.subarray(entry + 46, entry + 46 + nameLength));
      if (/\.pdf$/i.test(name)) {
        const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
        const data = bytes.subarray(start, start + size);
        if (method === 0) return new Blob([data], {type: "application/pdf"});
        if (method === 8 && "DecompressionStream" in window) {
          const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
          return new Blob([await new Response(stream).arrayBuffer()], {type: "application/pdf"});
        }
        return null;
      }
      entry += 46 + nameLength + extra + comment;
    }
    return null;
  }

  // ---- showing what was found -----------------------------------------------------------------

  function say(key, ...args) {
    state.status = [key, ...args];
    status.textContent = t(key, ...args);
  }

  function sayVerdict() {
    const {errors, warnings} = state.report;
    if (!errors.length && !warnings.length) say("noFindings");
    else say("counts", errors.length, warnings.length);
  }

  // The verdict on the text, beside the findings; the editor is described by it.
  function showSummary() {
    const stale = Boolean(state.report) && state.checkedText !== editor.value;
    list.classList.toggle("stale", stale);
    if (!state.report) {
      summary.replaceChildren(t("notChecked"));
      return;
    }
    const {errors, warnings} = state.report;
    const verdict = element("strong", "verdict", !errors.length && !warnings.length
      ? t("noFindings") : t("counts", errors.length, warnings.length));
    summary.replaceChildren(verdict);
    if (errors.length) summary.append(" ", t("fixErrors"));
    else if (warnings.length) summary.append(" ", t("warningsOnly"));
    if (stale) summary.append(" ", element("span", "stale-note", t("stale")));
  }

  function showFindings(report, text) {
    state.report = report;
    if (text !== undefined) state.checkedText = text;
    const lines = (state.checkedText || "").split("\n");
    const findings = [
      ...report.errors.map((f) => ({...f, level: "error"})),
      ...report.warnings.map((f) => ({...f, level: "warning"})),
    ].sort((a, b) => (a.line || 0) - (b.line || 0) || (a.column || 0) - (b.column || 0));
    list.replaceChildren(...findings.map((f) => findingItem(f, lines)));
    if (report.errors.length) editor.setAttribute("aria-invalid", "true");
    else editor.removeAttribute("aria-invalid");
    showSummary();
    drawGutter();
  }

  function findingItem(f, lines) {
    const item = document.createElement("li");
    item.className = `finding ${f.level}`;
    const head = document.createElement("p");
    head.className = "finding-head";
    const level = element("span", "level", t(f.level));
    if (f.line) {
      const go = element("button", "goto", t("at", f.line, f.column));
      go.type = "button";
      go.title = t("goTo", f.line);
      go.addEventListener("click", () => goToLine(f.line, f.column));
      head.append(go, " ", level);
    } else {
      head.append(element("span", "where", t("noLine")), " ", level);
    }
    const code = f.rule || f.code;
    if (code) head.append(" ", element("code", "code", code));
    if (f.path) head.append(" ", element("code", "path", f.path));
    const message = element("p", "message", f.message || "");
    if (state.report.lang) message.lang = state.report.lang;
    item.append(head, message);
    if (f.line && lines[f.line - 1] !== undefined) {
      const excerpt = element("pre", "excerpt", "");
      excerpt.setAttribute("aria-hidden", "true");
      excerpt.append(element("span", "excerpt-line", `${f.line}`), lines[f.line - 1]);
      item.append(excerpt);
    }
    return item;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    node.className = className;
    node.textContent = text;
    return node;
  }

  // ---- sources: a file, a skeleton, the kinds -------------------------------------------------

  function mayReplace() {
    return !editor.value.trim() || window.confirm(t("replace"));
  }

  async function openFile() {
    const input = $("file");
    const file = input.files && input.files[0];
    input.value = ""; // the same file can be opened again after changes on disk
    await openCase(file);
  }

  async function openCase(file) {
    if (!file || !mayReplace()) return;
    let text;
    try {
      text = new TextDecoder("utf-8", {fatal: true}).decode(await file.arrayBuffer());
    } catch (error) {
      say("unreadable");
      return;
    }
    setText(text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n"));
    await check();
    if (state.report) say("opened");
  }

  async function startSkeleton() {
    if (!mayReplace()) return;
    const kind = $("kind").value;
    const lang = $("skeleton-lang").value;
    const response = await fetch(`/v1/skeleton?${new URLSearchParams({kind, lang})}`, {cache: "no-store"});
    if (!response.ok) {
      say(...await problem(response));
      return;
    }
    setText(await response.text());
    say("skeletonLoaded", kindName(kind), t("languages")[lang] || lang);
    editor.focus();
    editor.setSelectionRange(0, 0);
  }

  // The kinds the service makes, and their names; until they come (or if they do not), the
  // built-in list by its ids.
  async function loadKinds() {
    try {
      const [kinds, names] = await Promise.all([
        fetch("/v1/kinds", {cache: "no-store"}).then((r) => (r.ok ? r.json() : null)),
        fetch("/static/kinds.json", {cache: "no-store"}).then((r) => (r.ok ? r.json() : null)),
      ]);
      const items = kinds ? (Array.isArray(kinds) ? kinds : kinds.kinds || []) : [];
      const ids = items.map((k) => (typeof k === "string" ? k : k.kind || k.name || k.id)).filter(Boolean);
      if (ids.length) state.kinds = ids;
      if (names) state.kindNames = names;
      fillKinds();
    } catch (error) {
      // The built-in list stays.
    }
  }

  // ---- wiring ----------------------------------------------------------------------------------

  editor.addEventListener("input", () => {
    if (state.report) showSummary();
    drawGutter();
  });
  editor.addEventListener("scroll", syncScroll);
  editor.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      withBusy(check);
    }
  });
  $("check").addEventListener("click", () => withBusy(check));
  $("preview").addEventListener("click", () => withBusy(preview));
  $("download-pdf").addEventListener("click", () => withBusy(downloadPdf));
  $("download-docx").addEventListener("click", () => withBusy(downloadDocx));
  $("print").addEventListener("click", () => withBusy(print));
  $("skeleton").addEventListener("click", () => withBusy(startSkeleton));
  $("file").addEventListener("change", () => withBusy(openFile));
  // A file dropped anywhere on the page is opened as a case, instead of the browser leaving the
  // page (and the text in it) to show the file.
  document.addEventListener("dragover", (event) => event.preventDefault());
  document.addEventListener("drop", (event) => {
    event.preventDefault();
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) withBusy(() => openCase(file));
  });
  $("doc-lang").addEventListener("change", () => {
    if (state.pdf) dropPdf();
  });
  frame.addEventListener("load", () => {
    frame.dataset.loaded = frame.src;
  });
  for (const button of document.querySelectorAll("[data-ui-lang]")) {
    button.addEventListener("click", () => {
      // The skeleton's language follows the page's unless the official chose another.
      const skeletonLang = $("skeleton-lang");
      if (skeletonLang.value === state.lang) skeletonLang.value = button.dataset.uiLang;
      state.lang = button.dataset.uiLang;
      applyLanguage();
      // The findings' messages come in the page's language: ask again for the checked text.
      if (state.report && state.checkedText === editor.value && editor.value.trim()) withBusy(check);
    });
  }
  window.addEventListener("resize", () => drawMarks(lineLevels()));

  $("skeleton-lang").value = state.lang;
  applyLanguage();
  drawGutter();
  loadKinds();
})();
