// blograg chat page. No framework, no build step.
// Safety rule: every string that comes from posts or the server is inserted with textContent /
// createElement, never innerHTML, so a post containing <script> or <img onerror> stays inert text.
"use strict";

const MAX_HISTORY_TURNS = 6; // earlier question/answer pairs sent for follow-up questions
const $ = (id) => document.getElementById(id);

const state = {
  history: [], // [{role, content}] of finished turns
  answers: new Map(), // turn id -> final Answer JSON
  controller: null, // AbortController of the running request
  turnCount: 0,
  follow: true, // keep the newest answer in view while it grows; off once the reader scrolls back up
  feedbackOff: false, // the server keeps no question log (409 on a vote): stop offering thumbs
};

// ---------- small DOM helpers ----------

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function safeUrl(url) {
  // Only real web links: a post's front matter could carry "javascript:..." as its URL.
  if (!url) return null;
  try {
    const parsed = new URL(url, window.location.href);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function viewerHref(source, start, end) {
  const params = new URLSearchParams({ post: source, start: String(start), end: String(end) });
  return "#" + params.toString();
}

function apiHeaders(extra) {
  const headers = Object.assign({ "Content-Type": "application/json" }, extra || {});
  const key = $("api-key").value.trim();
  if (key) headers["X-API-Key"] = key;
  return headers;
}

const MAX_DECODINGS = 4; // percent-decoding rounds looked through for a hidden "." or ".." segment

function isUnsafeSegment(segment) {
  // "." or "..", or a backslash, also behind percent-encoding ("%2e%2e", "%252e%252e"): a browser,
  // proxy or server may resolve it to a path outside /posts/.
  let current = segment;
  for (let round = 0; round <= MAX_DECODINGS; round++) {
    if (current === "." || current === ".." || current.includes("\\")) return true;
    let decoded;
    try {
      decoded = decodeURIComponent(current);
    } catch {
      return false; // a stray "%": not an encoding of anything
    }
    if (decoded === current) return false;
    current = decoded;
  }
  return true; // encoded more deeply than any real file name
}

function isPostSource(source) {
  // A post's source is a relative path inside the posts folder: no scheme, no leading slash,
  // no empty, "." or ".." segment, no backslash or control character.
  if (typeof source !== "string" || !source || /[\\\u0000-\u001f\u007f]/.test(source)) return false;
  if (source.startsWith("/") || /^[a-z][a-z0-9+.-]*:/i.test(source)) return false;
  return source.split("/").every((segment) => segment && !isUnsafeSegment(segment));
}

function postPath(source) {
  // The URL of a post's JSON, or null when `source` is not a post path (then nothing is fetched).
  if (!isPostSource(source)) return null;
  const path = "/posts/" + source.split("/").map(encodeURIComponent).join("/");
  const resolved = new URL(path, window.location.origin);
  return resolved.origin === window.location.origin && resolved.pathname === path ? path : null;
}

// ---------- server-sent events over fetch ----------

function parseEventBlock(block) {
  let event = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  return data.length ? { event, data: JSON.parse(data.join("\n")) } : null;
}

async function* readEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const parsed = parseEventBlock(buffer.slice(0, cut));
      buffer = buffer.slice(cut + 2);
      if (parsed) yield parsed;
    }
  }
}

// ---------- rendering ----------

function addTurn(question) {
  $("empty-state").hidden = true;
  const id = ++state.turnCount;
  const item = el("li", "turn");
  item.dataset.turn = String(id);
  const user = el("div", "msg user");
  user.append(el("span", "who", "你 / You"), el("p", "text", question));
  const bot = el("div", "msg assistant");
  bot.dataset.state = "streaming";
  bot.append(el("span", "who", "blograg"), el("p", "status", "检索中… / Searching…"), el("div", "text"));
  item.append(user, bot);
  $("turns").append(item);
  state.follow = true;
  revealAnswer(bot, true);
  return { id, bot };
}

function revealAnswer(bot, smooth) {
  // Scroll the answer fully into view above the fixed composer (the root's scroll-padding-bottom is
  // the composer's height); an answer taller than the room left shows its beginning instead.
  if (!state.follow || !bot.isConnected) return;
  const room = $("ask-form").getBoundingClientRect().top;
  const block = bot.getBoundingClientRect().height > room ? "start" : "end";
  const reduced = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  bot.scrollIntoView({ block, behavior: smooth && !reduced ? "smooth" : "auto" });
}

function stopFollowing(event) {
  // The reader scrolled back to read something earlier: stop pulling the view down to the new answer.
  if (event.type === "keydown" && event.target.closest("textarea, input")) return; // editing, not scrolling
  const up = event.type === "wheel" ? event.deltaY < 0 : ["ArrowUp", "PageUp", "Home"].includes(event.key);
  if (up || event.type === "touchmove") state.follow = false;
}

function trackComposerHeight() {
  // The composer is fixed to the bottom and its height varies (wrapping, a resized textarea): publish it
  // so the page keeps that much room below the last answer and scrolling stops above it.
  const composer = $("ask-form");
  const publish = () =>
    document.documentElement.style.setProperty("--composer-height", composer.getBoundingClientRect().height + "px");
  new ResizeObserver(publish).observe(composer);
  publish();
}

function setStatus(turn, text) {
  turn.bot.querySelector(".status").textContent = text;
}

function renderAnswerText(container, turnId, answer) {
  // Replace the streamed draft with the verified answer; [n] markers become links to the sources.
  const numbers = new Set(answer.citations.map((c) => c.n));
  const parts = answer.answer.split(/\[(\d+)\]/);
  container.replaceChildren();
  parts.forEach((part, i) => {
    if (i % 2 === 0) {
      if (part) container.append(document.createTextNode(part));
      return;
    }
    const n = Number(part);
    if (!numbers.has(n)) {
      container.append(document.createTextNode("[" + part + "]"));
      return;
    }
    const link = el("a", "cite", "[" + n + "]");
    link.href = "#src-" + turnId + "-" + n;
    link.dataset.turn = String(turnId);
    link.dataset.n = String(n);
    link.title = "查看来源 / Show source " + n;
    container.append(link);
  });
}

function renderClosest(turn, answer) {
  if (!answer.closest.length) return;
  const box = el("div", "closest");
  box.append(el("p", "closest-title", "最接近的文章 / Closest posts"));
  const list = el("ul");
  for (const post of answer.closest) {
    const item = el("li");
    item.append(postLink(post.title, post), el("span", "date", post.date || ""));
    list.append(item);
  }
  box.append(list);
  turn.bot.append(box);
}

function postLink(text, ref) {
  // The post's own URL when it has a safe one, otherwise the built-in viewer at the passage.
  const link = el("a", "post-link", text);
  const url = safeUrl(ref.url);
  if (url) {
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
  } else {
    link.href = viewerHref(ref.source, ref.start, ref.end);
    link.classList.add("opens-viewer");
    link.dataset.source = ref.source;
    link.dataset.start = String(ref.start);
    link.dataset.end = String(ref.end);
  }
  return link;
}

function renderFinal(turn, answer) {
  state.answers.set(turn.id, answer);
  turn.bot.dataset.state = answer.refused ? "refused" : "done";
  turn.bot.classList.toggle("refused", answer.refused);
  renderAnswerText(turn.bot.querySelector(".text"), turn.id, answer);
  setStatus(turn, answer.refused ? "未找到答案 / The posts don't say" : "");
  renderClosest(turn, answer);
  const ms = Math.round((answer.timings_ms && answer.timings_ms.total) || 0);
  turn.bot.append(el("p", "meta", answer.generator + " · " + ms + " ms"));
  if (answer.answer_id && !state.feedbackOff) turn.bot.append(feedbackBar(answer.answer_id));
  showSources(turn.id, null);
  revealAnswer(turn.bot, true);
}

// ---------- feedback (thumbs up / down under each answer) ----------

const SVG_NS = "http://www.w3.org/2000/svg";
// A thumb (Feather's "thumbs-up" outline, MIT); drawn as SVG so it shows without an emoji font.
const THUMB = "M14 9V5a3 3 0 0 0-3-3l-4 9v11h11.28a2 2 0 0 0 2-1.7l1.38-9a2 2 0 0 0-2-2.3zM7 22H4a2 2 0 0 1-2-2v-7" +
  "a2 2 0 0 1 2-2h3";

function thumbIcon(down) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "thumb");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", THUMB);
  if (down) path.setAttribute("transform", "rotate(180 12 12)");
  svg.append(path);
  return svg;
}

function feedbackBar(answerId) {
  const bar = el("div", "feedback");
  bar.dataset.answerId = answerId;
  bar.setAttribute("role", "group");
  bar.setAttribute("aria-label", "这个回答有帮助吗？/ Was this answer helpful?");
  const up = el("button", "vote up");
  const down = el("button", "vote down");
  up.append(thumbIcon(false));
  down.append(thumbIcon(true));
  for (const [button, helpful, label] of [[up, true, "有帮助 / Helpful"], [down, false, "没帮助 / Not helpful"]]) {
    button.type = "button";
    button.dataset.helpful = String(helpful);
    button.title = label;
    button.setAttribute("aria-label", label);
    button.setAttribute("aria-pressed", "false");
  }
  bar.append(up, down, el("span", "vote-status"));
  bar.querySelector(".vote-status").setAttribute("aria-live", "polite");
  return bar;
}

function commentForm() {
  // After a 👎: an optional line on what was missing, sent with the same vote.
  const form = el("form", "vote-comment");
  const input = el("input");
  input.type = "text";
  input.maxLength = 2000;
  input.placeholder = "缺了什么？（可选）/ What was missing? (optional)";
  input.setAttribute("aria-label", "缺了什么 / What was missing");
  form.append(input, el("button", "vote-send", "发送 / Send"));
  return form;
}

async function sendFeedback(bar, helpful, comment) {
  const status = bar.querySelector(".vote-status");
  const body = { answer_id: bar.dataset.answerId, helpful };
  if (comment) body.comment = comment;
  status.textContent = "…";
  try {
    const response = await fetch("/feedback", { method: "POST", headers: apiHeaders(), body: JSON.stringify(body) });
    if (response.status === 409) {
      // RAG_LOG_QUESTIONS=false: every vote would fail the same way, so stop offering one.
      state.feedbackOff = true;
      for (const button of bar.querySelectorAll("button.vote")) button.disabled = true;
      status.textContent = "这个问答服务不收集反馈 / This assistant does not collect feedback";
      return false;
    }
    if (!response.ok) {
      const err = await response.json().catch(() => ({ message: response.statusText }));
      status.textContent = err.message || "Feedback not saved";
      return false;
    }
  } catch (err) {
    status.textContent = "反馈未发送 / Feedback not sent";
    return false;
  }
  for (const button of bar.querySelectorAll("button.vote")) {
    button.setAttribute("aria-pressed", String(button.dataset.helpful === String(helpful)));
  }
  bar.dataset.vote = helpful ? "up" : "down";
  status.textContent = "谢谢反馈 / Thanks for the feedback";
  return true;
}

async function onVote(button) {
  const bar = button.closest(".feedback");
  const helpful = button.dataset.helpful === "true";
  const saved = await sendFeedback(bar, helpful, "");
  const form = bar.querySelector("form.vote-comment");
  if (saved && !helpful && !form) {
    const added = commentForm();
    bar.append(added);
    added.querySelector("input").focus();
  } else if (helpful && form) {
    form.remove();
  }
}

async function onComment(form) {
  const bar = form.closest(".feedback");
  const comment = form.querySelector("input").value.trim();
  if (comment && (await sendFeedback(bar, false, comment))) form.remove();
}

function showError(turn, err) {
  turn.bot.dataset.state = "error";
  turn.bot.classList.add("error");
  setStatus(turn, "出错了 / Error");
  const box = el("div", "error-box");
  box.append(el("p", "error-message", err.message || "Request failed"));
  if (err.hint) box.append(el("p", "error-hint", err.hint));
  turn.bot.append(box);
  if (err.error === "AuthError") $("settings").open = true;
  revealAnswer(turn.bot, true);
}

function sourceItem(turnId, citation) {
  const item = el("li", "source");
  item.id = "src-" + turnId + "-" + citation.n;
  const head = el("div", "source-head");
  head.append(el("span", "num", "[" + citation.n + "]"), postLink(citation.title, citation));
  const where = [citation.date, citation.heading].filter(Boolean).join(" · ");
  item.append(head, el("p", "where", where), el("blockquote", "quote", citation.quote));
  const view = el("a", "open-viewer opens-viewer", "查看原文段落 / View passage");
  view.href = viewerHref(citation.source, citation.start, citation.end);
  Object.assign(view.dataset, { source: citation.source, start: citation.start, end: citation.end });
  item.append(view);
  return item;
}

function showSources(turnId, activeN) {
  const answer = state.answers.get(turnId);
  const list = $("sources");
  list.replaceChildren();
  list.dataset.turn = String(turnId);
  const citations = answer ? answer.citations : [];
  $("sources-hint").hidden = citations.length > 0;
  for (const citation of citations) list.append(sourceItem(turnId, citation));
  if (activeN === null) return;
  const target = $("src-" + turnId + "-" + activeN);
  if (!target) return;
  target.classList.add("active");
  target.scrollIntoView({ block: "nearest", behavior: "smooth" });
}

// ---------- post viewer ----------

async function openViewer(source, start, end) {
  const dialog = $("viewer");
  const text = $("viewer-text");
  $("viewer-title").textContent = "加载中… / Loading…";
  $("viewer-meta").textContent = source;
  text.replaceChildren();
  if (!dialog.open) dialog.showModal();
  const path = postPath(source);
  if (!path) {
    // A crafted link (#post=../admin/...) must not make the page send the saved key anywhere else.
    $("viewer-title").textContent = "无法打开 / Cannot open";
    text.append(
      el("p", "error-message", "这不是文章地址 / Not a post address"),
      el("p", "error-hint", "A post link names a file inside the posts folder (#post=folder/post.md, read from " +
        "/posts/folder/post.md); this one points elsewhere, so it was not opened."),
    );
    return;
  }
  const response = await fetch(path, { headers: apiHeaders() });
  const body = await response.json();
  if (!response.ok) {
    $("viewer-title").textContent = "无法打开 / Cannot open";
    text.append(el("p", "error-message", body.message), el("p", "error-hint", body.hint || ""));
    return;
  }
  $("viewer-title").textContent = body.title;
  $("viewer-meta").textContent = [body.date, body.author, body.source].filter(Boolean).join(" · ");
  const from = Math.max(0, Math.min(start, body.text.length));
  const to = Math.max(from, Math.min(end, body.text.length));
  const mark = el("mark", "passage", body.text.slice(from, to));
  text.append(document.createTextNode(body.text.slice(0, from)), mark, document.createTextNode(body.text.slice(to)));
  mark.scrollIntoView({ block: "center" });
}

function closeViewer() {
  $("viewer").close();
  if (window.location.hash.startsWith("#post=")) history.replaceState(null, "", window.location.pathname);
}

function openViewerFromHash() {
  const params = new URLSearchParams(window.location.hash.slice(1));
  const source = params.get("post");
  if (source) openViewer(source, Number(params.get("start") || 0), Number(params.get("end") || 0));
}

// ---------- asking ----------

function setBusy(busy) {
  $("ask").disabled = busy;
  $("stop").hidden = !busy;
  document.body.classList.toggle("busy", busy);
}

function handleEvent(turn, event, draft) {
  const text = turn.bot.querySelector(".text");
  if (event.event === "meta") {
    setStatus(turn, "找到 " + event.data.sources.length + " 段相关内容，正在作答… / Found passages, answering…");
  } else if (event.event === "token") {
    draft.text += event.data.text;
    // NO_ANSWER is the generator's refusal sentinel, not for readers; the final event brings the wording.
    text.textContent = /^\s*\[?NO_ANSWER/i.test(draft.text) ? "" : draft.text;
    revealAnswer(turn.bot, false);
  } else if (event.event === "reset") {
    draft.text = "";
    text.textContent = "";
    setStatus(turn, "改用摘录式回答… / Switching to an extractive answer…");
  } else if (event.event === "citations") {
    draft.answer = event.data;
    renderFinal(turn, event.data);
  } else if (event.event === "error") {
    draft.failed = true;
    showError(turn, event.data);
  }
}

async function ask(question) {
  const turn = addTurn(question);
  const draft = { text: "", answer: null, failed: false };
  state.controller = new AbortController();
  setBusy(true);
  const body = { question, history: state.history.slice(-2 * MAX_HISTORY_TURNS), stream: true };
  try {
    const response = await fetch("/ask", {
      method: "POST",
      headers: apiHeaders({ Accept: "text/event-stream" }),
      body: JSON.stringify(body),
      signal: state.controller.signal,
    });
    if (!response.ok) {
      showError(turn, await response.json().catch(() => ({ message: response.statusText })));
      return;
    }
    for await (const event of readEvents(response)) handleEvent(turn, event, draft);
    if (draft.answer) {
      state.history.push({ role: "user", content: question }, { role: "assistant", content: draft.answer.answer });
    } else if (!draft.failed) {
      showError(turn, { message: "连接中断 / The answer stream ended early", hint: "Try again." });
    }
  } catch (err) {
    if (err.name === "AbortError") {
      turn.bot.dataset.state = "stopped";
      setStatus(turn, "已停止 / Stopped");
      revealAnswer(turn.bot, true);
    } else {
      showError(turn, { message: String(err), hint: "检查网络或服务器 / Is the server running?" });
    }
  } finally {
    state.controller = null;
    setBusy(false);
  }
}

function newChat() {
  if (state.controller) state.controller.abort();
  state.history = [];
  state.answers.clear();
  $("turns").replaceChildren();
  $("sources").replaceChildren();
  $("sources-hint").hidden = false;
  $("empty-state").hidden = false;
  $("question").value = "";
  $("question").focus();
}

function submit() {
  const question = $("question").value.trim();
  if (!question || state.controller) return;
  $("question").value = "";
  ask(question);
}

// ---------- wiring ----------

function onDocumentClick(event) {
  const cite = event.target.closest("a.cite");
  if (cite) {
    event.preventDefault();
    showSources(Number(cite.dataset.turn), Number(cite.dataset.n));
    return;
  }
  const viewer = event.target.closest("a.opens-viewer");
  if (viewer) {
    event.preventDefault();
    openViewer(viewer.dataset.source, Number(viewer.dataset.start), Number(viewer.dataset.end));
    return;
  }
  const vote = event.target.closest("button.vote");
  if (vote) {
    onVote(vote);
    return;
  }
  const example = event.target.closest("button.example");
  if (example) {
    $("question").value = example.dataset.question || example.textContent;
    submit();
  }
}

function init() {
  const keyInput = $("api-key");
  keyInput.value = sessionStorage.getItem("blograg.apiKey") || "";
  keyInput.addEventListener("change", () => sessionStorage.setItem("blograg.apiKey", keyInput.value.trim()));
  $("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  $("question").addEventListener("keydown", (event) => {
    // isComposing: Enter also confirms a Chinese IME candidate and must not send the question.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  $("stop").addEventListener("click", () => state.controller && state.controller.abort());
  $("new-chat").addEventListener("click", newChat);
  $("viewer-close").addEventListener("click", closeViewer);
  $("viewer").addEventListener("close", () => {
    if (window.location.hash.startsWith("#post=")) history.replaceState(null, "", window.location.pathname);
  });
  document.addEventListener("click", onDocumentClick);
  $("turns").addEventListener("submit", (event) => {
    const form = event.target.closest("form.vote-comment");
    if (!form) return;
    event.preventDefault();
    onComment(form);
  });
  for (const type of ["wheel", "touchmove", "keydown"]) {
    window.addEventListener(type, stopFollowing, { passive: true });
  }
  trackComposerHeight();
  window.addEventListener("hashchange", openViewerFromHash);
  openViewerFromHash();
  $("question").focus();
}

document.addEventListener("DOMContentLoaded", init);
