// blograg chat widget: a <blog-chat> Web Component for any page, added with one tag:
//   <script src="https://bot.example.com/widget.js" data-title="…" data-lang="zh|en|auto" data-accent="#…" defer></script>
// It talks to the origin it was loaded from. Built to run under a strict host CSP: no inline script or
// style, no eval; styles go in through a constructed stylesheet (adoptedStyleSheets), which CSP allows.
// Safety rule: every string from the server is inserted with textContent, never innerHTML, and only
// http(s) URLs become links.
(() => {
  "use strict";

  const script =
    document.currentScript || document.querySelector('script[src$="/widget.js"], script[src*="/widget.js?"]');
  // Captured now: document.currentScript is only set while this file first runs.
  const BOT = new URL(script ? script.src : "/", window.location.href).origin;
  const SCRIPT_DATA = script ? Object.assign({}, script.dataset) : {};
  const MAX_HISTORY_TURNS = 6; // earlier question/answer pairs sent with a follow-up
  const MAX_TURN_CHARS = 8000; // the API's limit per history turn
  const DEFAULT_ACCENT = "#2563eb";

  const TEXT = {
    en: {
      title: "Ask the blog",
      open: "Ask the blog a question",
      close: "Close",
      newChat: "New chat",
      send: "Send",
      question: "Your question",
      placeholder: "Ask the posts a question…",
      hint: "Enter sends, Shift+Enter adds a line",
      intro: "Ask the posts a question; every answer cites its sources.",
      you: "You",
      bot: "Answer",
      searching: "Searching the posts…",
      answering: "Answering…",
      refused: "The posts don't say.",
      closest: "Closest posts",
      sources: "Sources",
      source: (n, title) => `Source ${n}: ${title}`,
      error: "Something went wrong.",
      offline: "Can't reach the assistant.",
      offlineHint: (origin) =>
        `It may be offline, or it does not accept this site (${origin}): the site owner adds it to RAG_ALLOWED_ORIGINS.`,
      ended: "The answer stopped before it was complete.",
      retry: "Try again.",
      stopped: "Stopped.",
      helpful: "Helpful",
      unhelpful: "Not helpful",
      thanks: "Thanks for the feedback.",
      feedbackFailed: "The feedback could not be sent.",
      feedbackOff: "This assistant does not collect feedback.",
    },
    zh: {
      title: "问问博客",
      open: "向博客提问",
      close: "关闭",
      newChat: "新对话",
      send: "发送",
      question: "你的问题",
      placeholder: "向文章提问…",
      hint: "Enter 发送，Shift+Enter 换行",
      intro: "向博客文章提问，每个答案都会标注出处。",
      you: "你",
      bot: "回答",
      searching: "正在检索文章…",
      answering: "正在作答…",
      refused: "文章里没有提到。",
      closest: "最接近的文章",
      sources: "来源",
      source: (n, title) => `来源 ${n}：${title}`,
      error: "出错了。",
      offline: "无法连接到问答服务。",
      offlineHint: (origin) => `服务可能已离线，或未允许本站（${origin}）：请站长把它加入 RAG_ALLOWED_ORIGINS。`,
      ended: "回答在完成前中断了。",
      retry: "请重试。",
      stopped: "已停止。",
      helpful: "有帮助",
      unhelpful: "没有帮助",
      thanks: "感谢反馈。",
      feedbackFailed: "反馈发送失败。",
      feedbackOff: "这个问答服务不收集反馈。",
    },
  };

  const STYLES = `
:host { all: initial; }
[hidden] { display: none !important; }
* { box-sizing: border-box; }
.launcher, .panel { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", sans-serif;
  color: #1f2937; z-index: 2147483000; }
.launcher { position: fixed; right: 20px; bottom: 20px; width: 56px; height: 56px; border: 0; border-radius: 50%;
  background: var(--blog-chat-accent, ${DEFAULT_ACCENT}); color: #fff; cursor: pointer;
  box-shadow: 0 4px 14px rgba(0, 0, 0, .25); display: grid; place-items: center; padding: 0; }
.launcher svg { width: 28px; height: 28px; fill: currentColor; }
button:focus-visible, a:focus-visible, textarea:focus-visible { outline: 3px solid var(--blog-chat-accent, ${DEFAULT_ACCENT});
  outline-offset: 2px; }
.launcher:focus-visible { outline-color: #111827; }
.panel { position: fixed; right: 20px; bottom: 20px; width: min(420px, calc(100vw - 40px));
  height: min(640px, calc(100vh - 40px)); display: flex; flex-direction: column; background: #fff;
  border-radius: 14px; box-shadow: 0 12px 40px rgba(0, 0, 0, .28); overflow: hidden; }
.head { display: flex; align-items: center; gap: 8px; padding: 10px 12px;
  background: var(--blog-chat-accent, ${DEFAULT_ACCENT}); color: #fff; }
.head h2 { flex: 1; margin: 0; font-size: 16px; font-weight: 600; min-width: 0; overflow: hidden;
  text-overflow: ellipsis; white-space: nowrap; }
.head button { font: inherit; font-size: 14px; color: #fff; background: rgba(255, 255, 255, .18); border: 0;
  border-radius: 8px; padding: 4px 10px; cursor: pointer; white-space: nowrap; }
.head .close { font-size: 20px; line-height: 1; padding: 4px 10px 6px; }
.log { position: relative; flex: 1; overflow-y: auto; overflow-x: hidden; overscroll-behavior: contain; padding: 12px; }
.intro { color: #4b5563; margin: 4px 0 12px; }
.turns { list-style: none; margin: 0; padding: 0; }
.turn { margin: 0 0 14px; }
.msg { overflow-wrap: anywhere; }
.user { margin: 0 0 8px auto; max-width: 85%; width: fit-content; background: #eef2ff; border-radius: 12px 12px 2px 12px;
  padding: 6px 10px; }
.user p, .bot p { margin: 0; }
.bot { background: #f9fafb; border: 1px solid #e5e7eb; border-radius: 12px 12px 12px 2px; padding: 8px 10px; }
.bot.refused { background: #fffbeb; border-color: #fcd34d; }
.bot.error { background: #fef2f2; border-color: #fca5a5; }
.status { color: #6b7280; font-size: 13px; }
.status:empty { display: none; }
.text { white-space: pre-wrap; }
.chip { font: inherit; font-size: 12px; line-height: 1.2; vertical-align: 1px; margin: 0 1px; padding: 1px 5px; border: 0;
  border-radius: 999px; cursor: pointer; color: #fff; background: var(--blog-chat-accent, ${DEFAULT_ACCENT}); }
.sources, .closest ul { list-style: none; margin: 8px 0 0; padding: 0; }
.bot .sources-title, .bot .closest-title { margin: 10px 0 0; font-size: 13px; font-weight: 600; color: #374151; }
.source { margin: 6px 0 0; padding: 6px 8px; border-radius: 8px; background: #fff; border: 1px solid #e5e7eb; }
.source.active { border-color: var(--blog-chat-accent, ${DEFAULT_ACCENT}); }
.num { font-weight: 600; margin-right: 4px; }
a { color: var(--blog-chat-accent, ${DEFAULT_ACCENT}); }
.date { color: #6b7280; font-size: 13px; margin-left: 6px; white-space: nowrap; }
.quote { margin: 4px 0 0; padding-left: 8px; border-left: 3px solid #d1d5db; color: #374151; font-size: 14px; }
.closest li { margin: 4px 0 0; }
.error-hint { color: #6b7280; font-size: 13px; }
.feedback { display: flex; align-items: center; gap: 6px; margin-top: 8px; }
.feedback button { display: grid; place-items: center; padding: 5px 8px; border: 1px solid #d1d5db; border-radius: 8px;
  color: #374151; background: #fff; cursor: pointer; }
.feedback .thumb { width: 16px; height: 16px; fill: none; stroke: currentColor; stroke-width: 2; stroke-linecap: round;
  stroke-linejoin: round; }
.feedback button[aria-pressed="true"] .thumb { stroke: var(--blog-chat-accent, ${DEFAULT_ACCENT}); }
.feedback button[aria-pressed="true"] { border-color: var(--blog-chat-accent, ${DEFAULT_ACCENT}); background: #eef2ff; }
.feedback-status { color: #6b7280; font-size: 13px; }
.composer { display: flex; gap: 8px; align-items: flex-end; padding: 10px 12px; border-top: 1px solid #e5e7eb; }
.composer textarea { flex: 1; min-width: 0; font: inherit; resize: none; padding: 6px 8px; border: 1px solid #d1d5db;
  border-radius: 8px; color: inherit; background: #fff; }
.composer .send { font: inherit; padding: 7px 14px; border: 0; border-radius: 8px; color: #fff; cursor: pointer;
  background: var(--blog-chat-accent, ${DEFAULT_ACCENT}); }
.composer .send:disabled { opacity: .55; cursor: default; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 480px) {
  .panel { right: 0; bottom: 0; left: 0; top: 0; width: auto; height: auto; border-radius: 0; }
  .composer textarea { font-size: 16px; } /* smaller text makes phones zoom in on focus */
}
@media (prefers-reduced-motion: no-preference) { .source.active { transition: border-color .2s; } }
`;

  // ---------- helpers ----------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function safeUrl(url) {
    // Only real web links: a post's front matter could carry "javascript:..." as its URL.
    if (typeof url !== "string" || !url) return null;
    try {
      const parsed = new URL(url, window.location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch {
      return null;
    }
  }

  function postHref(ref) {
    // The published post when the server knows it, else the bot's own viewer at the cited passage.
    const url = safeUrl(ref.url);
    if (url) return url;
    const params = new URLSearchParams({ post: String(ref.source), start: String(ref.start), end: String(ref.end) });
    return BOT + "/#" + params.toString();
  }

  function postLink(text, ref) {
    const link = el("a", "post-link", text);
    link.href = postHref(ref);
    link.target = "_blank";
    link.rel = "noopener";
    return link;
  }

  function language(value) {
    const wanted = (value || "auto").toLowerCase();
    if (wanted === "zh" || wanted === "en") return wanted;
    const page = document.documentElement.lang || navigator.language || "en";
    return page.toLowerCase().startsWith("zh") ? "zh" : "en";
  }

  let sharedSheet = null;

  function adoptStyles(root) {
    if ("adoptedStyleSheets" in Document.prototype && "replaceSync" in CSSStyleSheet.prototype) {
      if (!sharedSheet) {
        sharedSheet = new CSSStyleSheet();
        sharedSheet.replaceSync(STYLES);
      }
      root.adoptedStyleSheets = [sharedSheet];
    } else {
      root.append(el("style", null, STYLES)); // older browsers only; a strict CSP blocks this fallback
    }
  }

  function svgPath(d, className) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    if (className) svg.setAttribute("class", className);
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", d);
    svg.append(path);
    return svg;
  }

  function icon() {
    return svgPath("M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z");
  }

  // A thumb (Feather's "thumbs-up" outline, MIT), as on the chat page: drawn, because a 👍 character is an
  // empty box wherever no emoji font is installed.
  const THUMB =
    "M14 9V5a3 3 0 0 0-3-3l-4 9v11h11.28a2 2 0 0 0 2-1.7l1.38-9a2 2 0 0 0-2-2.3zM7 22H4a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2h3";

  function thumb(down) {
    const svg = svgPath(THUMB, "thumb");
    if (down) svg.firstChild.setAttribute("transform", "rotate(180 12 12)");
    return svg;
  }

  // ---------- server-sent events over fetch (the contract of POST /ask) ----------

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

  // ---------- the element ----------

  class BlogChat extends HTMLElement {
    constructor() {
      super();
      this.attachShadow({ mode: "open" });
      this.history = []; // [{role, content}] of finished turns
      this.controller = null; // AbortController of the running request
      this.turnCount = 0;
      this.feedbackOff = false; // the server said it logs no questions: no more thumbs
    }

    setting(name) {
      // <blog-chat data-…> wins over the script tag's data-…
      const own = this.dataset[name];
      return own !== undefined ? own : SCRIPT_DATA[name];
    }

    connectedCallback() {
      if (this.launcher) return;
      this.t = TEXT[language(this.setting("lang"))];
      const accent = this.setting("accent");
      // A custom property set through the CSSOM: allowed by CSP, and one declaration cannot inject rules.
      if (accent && isColor(accent)) this.style.setProperty("--blog-chat-accent", accent);
      adoptStyles(this.shadowRoot);
      this.build();
    }

    build() {
      const t = this.t;
      const title = this.setting("title") || t.title;
      this.launcher = el("button", "launcher");
      Object.assign(this.launcher, { type: "button", title: t.open });
      this.launcher.setAttribute("aria-label", t.open);
      this.launcher.setAttribute("aria-expanded", "false");
      this.launcher.setAttribute("aria-controls", "panel");
      this.launcher.append(icon());

      this.panel = el("section", "panel");
      Object.assign(this.panel, { id: "panel", hidden: true });
      this.panel.setAttribute("role", "dialog");
      this.panel.setAttribute("aria-modal", "true");
      this.panel.setAttribute("aria-labelledby", "title");
      const head = el("header", "head");
      const heading = el("h2", null, title);
      heading.id = "title";
      this.newChatButton = el("button", "new-chat", t.newChat);
      this.newChatButton.type = "button";
      this.closeButton = el("button", "close", "×");
      this.closeButton.type = "button";
      this.closeButton.setAttribute("aria-label", t.close);
      head.append(heading, this.newChatButton, this.closeButton);

      this.log = el("div", "log");
      this.log.setAttribute("role", "log");
      this.log.setAttribute("aria-live", "polite");
      this.intro = el("p", "intro", t.intro);
      this.turns = el("ol", "turns");
      this.log.append(this.intro, this.turns);

      this.form = el("form", "composer");
      const label = el("label", "visually-hidden", t.question);
      label.htmlFor = "question";
      const hint = el("span", "visually-hidden", t.hint);
      hint.id = "question-hint";
      this.box = el("textarea");
      Object.assign(this.box, { id: "question", rows: 2, maxLength: 2000, placeholder: t.placeholder });
      this.box.setAttribute("aria-describedby", "question-hint");
      this.sendButton = el("button", "send", t.send);
      this.sendButton.type = "submit";
      this.form.append(label, hint, this.box, this.sendButton);

      this.panel.append(head, this.log, this.form);
      this.shadowRoot.append(this.launcher, this.panel);
      this.wire();
    }

    wire() {
      this.launcher.addEventListener("click", () => this.open());
      this.closeButton.addEventListener("click", () => this.close());
      this.newChatButton.addEventListener("click", () => this.newChat());
      this.form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.submit();
      });
      this.box.addEventListener("keydown", (event) => {
        // isComposing: Enter also confirms a Chinese IME candidate and must not send the question.
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          this.submit();
        }
      });
      this.panel.addEventListener("keydown", (event) => this.onPanelKey(event));
    }

    // ---------- open, close, focus ----------

    open() {
      this.panel.hidden = false;
      this.launcher.hidden = true;
      this.launcher.setAttribute("aria-expanded", "true");
      this.box.focus();
    }

    close() {
      this.panel.hidden = true;
      this.launcher.hidden = false;
      this.launcher.setAttribute("aria-expanded", "false");
      this.launcher.focus();
    }

    focusables() {
      const all = this.panel.querySelectorAll("button:not([disabled]), a[href], textarea, [tabindex='0']");
      return [...all].filter((node) => node.getClientRects().length > 0);
    }

    onPanelKey(event) {
      if (event.key === "Escape") {
        event.preventDefault();
        this.close();
        return;
      }
      if (event.key !== "Tab") return;
      // Keep Tab inside the open panel (it is a modal dialog): wrap around at either end.
      const items = this.focusables();
      if (!items.length) return;
      const active = this.shadowRoot.activeElement;
      const first = items[0];
      const last = items[items.length - 1];
      if (event.shiftKey && (active === first || !items.includes(active))) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && (active === last || !items.includes(active))) {
        event.preventDefault();
        first.focus();
      }
    }

    // ---------- a turn ----------

    addTurn(question) {
      this.intro.hidden = true;
      const id = ++this.turnCount;
      const item = el("li", "turn");
      const user = el("div", "msg user");
      user.append(el("span", "visually-hidden", this.t.you + ": "), el("p", "text", question));
      const bot = el("div", "msg bot");
      bot.dataset.state = "streaming";
      bot.setAttribute("aria-busy", "true");
      bot.append(el("span", "visually-hidden", this.t.bot + ": "), el("p", "status", this.t.searching), el("div", "text"));
      item.append(user, bot);
      this.turns.append(item);
      this.follow(bot);
      return { id, bot, text: bot.querySelector(".text"), status: bot.querySelector(".status") };
    }

    follow(bot) {
      // Keep the newest question and answer in view: their end while they fit, else the question.
      const turn = bot.parentElement;
      const tall = turn.offsetHeight > this.log.clientHeight - 16;
      this.log.scrollTop = tall ? turn.offsetTop - 8 : this.log.scrollHeight;
    }

    finish(turn, state) {
      turn.bot.dataset.state = state;
      turn.bot.setAttribute("aria-busy", "false");
    }

    renderText(turn, answer) {
      // Replace the streamed draft with the verified answer; [n] markers become chips for the sources.
      const byNumber = new Map(answer.citations.map((c) => [c.n, c]));
      turn.text.replaceChildren();
      answer.answer.split(/\[(\d+)\]/).forEach((part, i) => {
        const citation = i % 2 ? byNumber.get(Number(part)) : undefined;
        if (i % 2 === 0 || !citation) {
          if (part) turn.text.append(document.createTextNode(i % 2 ? "[" + part + "]" : part));
          return;
        }
        const chip = el("button", "chip", "[" + citation.n + "]");
        chip.type = "button";
        chip.setAttribute("aria-label", this.t.source(citation.n, citation.title));
        chip.addEventListener("click", () => this.showSource(turn, citation.n));
        turn.text.append(chip);
      });
    }

    renderSources(turn, answer) {
      if (!answer.citations.length) return;
      const list = el("ol", "sources");
      list.setAttribute("aria-label", this.t.sources);
      for (const citation of answer.citations) {
        const item = el("li", "source");
        item.id = "source-" + turn.id + "-" + citation.n;
        item.append(el("span", "num", "[" + citation.n + "]"), postLink(citation.title, citation));
        if (citation.date) item.append(el("span", "date", citation.date));
        if (citation.quote) item.append(el("blockquote", "quote", citation.quote));
        list.append(item);
      }
      turn.bot.append(el("p", "sources-title", this.t.sources), list);
    }

    renderClosest(turn, answer) {
      if (!answer.closest || !answer.closest.length) return;
      const box = el("div", "closest");
      const list = el("ul");
      for (const post of answer.closest) {
        const item = el("li");
        item.append(postLink(post.title, post));
        if (post.date) item.append(el("span", "date", post.date));
        list.append(item);
      }
      box.append(el("p", "closest-title", this.t.closest), list);
      turn.bot.append(box);
    }

    renderFeedback(turn, answer) {
      // Every answer carries an id, but POST /feedback only takes those of a server that logs questions.
      if (this.feedbackOff || typeof answer.answer_id !== "string" || !answer.answer_id) return;
      const box = el("div", "feedback");
      const status = el("span", "feedback-status");
      status.setAttribute("role", "status");
      const buttons = [
        [true, this.t.helpful],
        [false, this.t.unhelpful],
      ].map(([helpful, label]) => {
        const button = el("button", helpful ? "helpful" : "unhelpful");
        button.append(thumb(!helpful));
        button.type = "button";
        button.setAttribute("aria-label", label);
        button.setAttribute("aria-pressed", "false");
        button.title = label;
        button.addEventListener("click", () => this.sendFeedback(answer.answer_id, helpful, button, buttons, status));
        return button;
      });
      box.append(...buttons, status);
      turn.bot.append(box);
    }

    renderFinal(turn, answer) {
      turn.bot.classList.toggle("refused", Boolean(answer.refused));
      this.renderText(turn, answer);
      turn.status.textContent = answer.refused ? this.t.refused : "";
      this.renderSources(turn, answer);
      this.renderClosest(turn, answer);
      this.renderFeedback(turn, answer);
      this.finish(turn, answer.refused ? "refused" : "done");
      this.follow(turn.bot);
    }

    showSource(turn, n) {
      const item = this.shadowRoot.getElementById("source-" + turn.id + "-" + n);
      if (!item) return;
      for (const other of turn.bot.querySelectorAll(".source.active")) other.classList.remove("active");
      item.classList.add("active");
      this.log.scrollTop = item.offsetTop - 8;
      item.querySelector("a").focus();
    }

    showError(turn, err) {
      turn.bot.classList.add("error");
      turn.status.textContent = this.t.error;
      const box = el("div", "error-box");
      box.append(el("p", "error-message", err.message || this.t.error));
      if (err.hint) box.append(el("p", "error-hint", err.hint));
      turn.bot.append(box);
      this.finish(turn, "error");
      this.follow(turn.bot);
    }

    // ---------- talking to the server ----------

    headers(extra) {
      const headers = Object.assign({ "Content-Type": "application/json" }, extra || {});
      const key = this.setting("apiKey"); // data-api-key: every reader of the page can see it
      if (key) headers["X-API-Key"] = key;
      return headers;
    }

    handleEvent(turn, event, draft) {
      if (event.event === "meta") {
        turn.status.textContent = this.t.answering;
      } else if (event.event === "token") {
        draft.text += event.data.text;
        // NO_ANSWER is the generator's refusal sentinel, not for readers; the final event brings the wording.
        turn.text.textContent = /^\s*\[?NO_ANSWER/i.test(draft.text) ? "" : draft.text;
        this.follow(turn.bot);
      } else if (event.event === "reset") {
        draft.text = "";
        turn.text.textContent = "";
      } else if (event.event === "citations") {
        draft.answer = event.data;
        this.renderFinal(turn, event.data);
      } else if (event.event === "error") {
        draft.failed = true;
        this.showError(turn, event.data);
      }
    }

    async ask(question) {
      const turn = this.addTurn(question);
      const draft = { text: "", answer: null, failed: false };
      const controller = new AbortController();
      this.controller = controller;
      this.setBusy(true);
      const history = this.history.slice(-2 * MAX_HISTORY_TURNS);
      try {
        const response = await fetch(BOT + "/ask", {
          method: "POST",
          mode: "cors",
          credentials: "omit",
          headers: this.headers({ Accept: "text/event-stream" }),
          body: JSON.stringify({ question, history, stream: true }),
          signal: controller.signal,
        });
        if (!response.ok) {
          this.showError(turn, await response.json().catch(() => ({ message: response.status + " " + response.statusText })));
          return;
        }
        for await (const event of readEvents(response)) this.handleEvent(turn, event, draft);
        if (draft.answer) {
          const said = draft.answer.answer.slice(0, MAX_TURN_CHARS);
          this.history.push({ role: "user", content: question }, { role: "assistant", content: said });
        } else if (!draft.failed) {
          this.showError(turn, { message: this.t.ended, hint: this.t.retry });
        }
      } catch (err) {
        if (err.name === "AbortError") {
          turn.status.textContent = this.t.stopped;
          this.finish(turn, "stopped");
        } else {
          this.showError(turn, { message: this.t.offline, hint: this.t.offlineHint(window.location.origin) });
        }
      } finally {
        if (this.controller === controller) {
          this.controller = null;
          this.setBusy(false);
        }
      }
    }

    async sendFeedback(answerId, helpful, pressed, buttons, status) {
      for (const button of buttons) button.disabled = true;
      status.textContent = "";
      try {
        const response = await fetch(BOT + "/feedback", {
          method: "POST",
          mode: "cors",
          credentials: "omit",
          headers: this.headers(),
          body: JSON.stringify({ answer_id: answerId, helpful }),
        });
        if (response.ok) {
          pressed.setAttribute("aria-pressed", "true");
          status.textContent = this.t.thanks;
          return; // one vote per answer: the buttons stay disabled
        }
        if (response.status === 409) {
          // RAG_LOG_QUESTIONS=false: every vote would fail the same way, so stop offering one.
          this.feedbackOff = true;
          status.textContent = this.t.feedbackOff;
          return;
        }
        const body = await response.json().catch(() => ({}));
        status.textContent = this.t.feedbackFailed + (body.message ? " " + body.message : "");
      } catch {
        status.textContent = this.t.feedbackFailed;
      }
      for (const button of buttons) button.disabled = false;
    }

    setBusy(busy) {
      this.sendButton.disabled = busy;
      this.panel.dataset.busy = String(busy);
    }

    submit() {
      const question = this.box.value.trim();
      if (!question || this.controller) return;
      this.box.value = "";
      this.ask(question);
    }

    newChat() {
      if (this.controller) this.controller.abort();
      this.controller = null;
      this.setBusy(false);
      this.history = [];
      this.turns.replaceChildren();
      this.intro.hidden = false;
      this.box.value = "";
      this.box.focus();
    }
  }

  function isColor(value) {
    return typeof CSS !== "undefined" && CSS.supports("color", value);
  }

  function mount() {
    if (!document.querySelector("blog-chat")) document.body.append(document.createElement("blog-chat"));
  }

  if (!customElements.get("blog-chat")) customElements.define("blog-chat", BlogChat);
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
