// The mind map of the problem framework, drawn by jsMind. The page is an empty host; the
// tree (categories with counts and lights) comes from one JSON request, a leaf's items
// from another when it is unfolded. Editors change nodes through JSON endpoints that call
// the same category services as the tree editor. Pictures (SVG, PNG) are drawn from the
// laid-out nodes, with no third-party code.
document.addEventListener("DOMContentLoaded", () => {
  const host = document.getElementById("mindmap");
  if (!host || !window.jsMind) return;
  const words = JSON.parse(document.getElementById("mindmap-words").textContent);
  const editor = document.querySelector("[data-mindmap-editor]");
  const csrf = host.dataset.csrf;
  const collapsed = new Set();
  let jm = null;

  const withId = (template, id) => template.replace("/0/", `/${id}/`);
  const issueUrl = (id) => host.dataset.issueUrl.replace(/\/0$/, `/${id}`);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function render(_jm, element, node) {
    const data = node.data || {};
    element.textContent = "";
    element.classList.add("mm-node");
    if (data.light) {
      element.appendChild(el("span", `light-dot light-${data.light} me-1`));
    }
    element.appendChild(el("span", "mm-title", node.topic));
    if (data.kind === "category") {
      element.dataset.categoryId = data.cid;
      element.appendChild(el("span", "mm-count ms-1", `${data.total}`));
      element.appendChild(el("span", "mm-closed", ` / ${data.closed}`));
      const link = el("a", "mm-link ms-1");
      link.href = `${host.dataset.listUrl}?category=${data.cid}`;
      link.title = words.open_list;
      link.setAttribute("aria-label", words.open_list);
      link.appendChild(el("i", "bi bi-list-ul"));
      element.appendChild(link);
      if (data.leaf && data.total > 0 && !data.unfolded) {
        const unfold = el("button", "btn btn-link btn-sm p-0 ms-1 mm-unfold");
        unfold.type = "button";
        unfold.dataset.unfold = data.cid;
        unfold.title = words.unfold;
        unfold.setAttribute("aria-label", words.unfold);
        unfold.appendChild(el("i", "bi bi-chevron-double-right"));
        element.appendChild(unfold);
      }
    } else if (data.kind === "issue") {
      element.dataset.issueId = data.id;
      const link = el("a", "mm-issue-link", node.topic);
      link.href = issueUrl(data.id);
      element.replaceChild(link, element.querySelector(".mm-title"));
      element.classList.add("mm-issue");
    } else if (data.kind === "more") {
      element.classList.add("mm-more");
    }
    return true;
  }

  function toMind(payload) {
    const data = [{ id: "root", isroot: true, topic: host.dataset.root, kind: "root" }];
    payload.nodes.forEach((n) => {
      // Fields other than id, parentid, topic, expanded end up in node.data.
      data.push({
        id: `c${n.id}`,
        parentid: n.parent ? `c${n.parent}` : "root",
        topic: n.name,
        expanded: !collapsed.has(`c${n.id}`),
        kind: "category",
        cid: n.id,
        total: n.total,
        closed: n.closed,
        light: n.light,
        leaf: n.leaf,
      });
    });
    return { meta: { name: "gongjian" }, format: "node_array", data };
  }

  async function load() {
    const response = await fetch(host.dataset.source, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const payload = await response.json();
    const mind = toMind(payload);
    const selected = jm && jm.get_selected_node() ? jm.get_selected_node().id : null;
    if (!jm) {
      jm = new window.jsMind({
        container: "mindmap",
        editable: true, // needed to add items on unfold; the toolbar guards the edits
        theme: "gongjian",
        support_html: false,
        view: {
          engine: "svg",
          draggable: true,
          hide_scrollbars_when_draggable: false,
          custom_node_render: render,
          line_color: "#8a94a6",
        },
        layout: { hspace: 40, vspace: 14 },
        // Ctrl + wheel (and a trackpad's pinch) zooms on a laptop, as before; fitting a
        // large map on a phone needs to go further out than jsMind's default 0.5.
        zoom: { min: 0.2, max: 2.1, step: 0.1 },
        default_event_handle: { enable_dblclick_handle: false },
        shortcut: { enable: false },
      });
      touchGestures();
      jm.add_event_listener((type, info) => {
        if (type === window.jsMind.event_type.select) describeSelection();
        if (type === window.jsMind.event_type.show) describeSelection();
        // Remember what was folded, so a reload after an edit keeps the view.
        if (info && info.evt === "collapse_node") collapsed.add(info.node);
        if (info && info.evt === "expand_node") collapsed.delete(info.node);
      });
    }
    const first = !host.dataset.ready;
    jm.show(mind);
    if (first) fit();
    if (selected && jm.get_node(selected)) jm.select_node(selected);
    fillMoveTargets(payload.nodes);
    host.dataset.ready = "1";
  }

  // --- fitting, panning and pinching ---------------------------------------------------

  const clamp = (value, low, high) => Math.min(high, Math.max(low, value));

  // The box around the drawn nodes, in the page's pixels (after any zoom).
  function nodesBox() {
    const boxes = [...host.querySelectorAll("jmnode")]
      .filter((node) => node.offsetWidth > 0)
      .map((node) => node.getBoundingClientRect());
    if (!boxes.length) return null;
    const left = Math.min(...boxes.map((b) => b.left));
    const top = Math.min(...boxes.map((b) => b.top));
    const right = Math.max(...boxes.map((b) => b.right));
    const bottom = Math.max(...boxes.map((b) => b.bottom));
    return { left, top, width: right - left, height: bottom - top };
  }

  // On open, the whole map fits the pane (never larger than life), centred.
  function fit() {
    const pane = jm.view.e_panel;
    const box = nodesBox();
    if (!box || !pane.clientWidth || !pane.clientHeight) return;
    const pad = 24;
    const scale = jm.view.zoom_current;
    const wanted = Math.min(
      pane.clientWidth / (box.width / scale + 2 * pad),
      pane.clientHeight / (box.height / scale + 2 * pad),
    );
    if (wanted < 0.999) jm.view.set_zoom(clamp(wanted, jm.view.opts.zoom.min, 1));
    const fitted = nodesBox();
    const frame = pane.getBoundingClientRect();
    pane.scrollLeft += fitted.left + fitted.width / 2 - (frame.left + pane.clientWidth / 2);
    pane.scrollTop += fitted.top + fitted.height / 2 - (frame.top + pane.clientHeight / 2);
  }

  // Touch (pointer events): one finger pans the pane, two fingers pinch around their
  // middle. The mouse keeps jsMind's own drag and Ctrl + wheel.
  function touchGestures() {
    const pane = jm.view.e_panel;
    const touches = new Map();
    let pinch = null;
    let frame = 0;
    let pending = null;

    const middle = () => {
      const [a, b] = [...touches.values()];
      return {
        x: (a.x + b.x) / 2,
        y: (a.y + b.y) / 2,
        distance: Math.hypot(a.x - b.x, a.y - b.y) || 1,
      };
    };
    const zoomTo = () => {
      frame = 0;
      if (!pending) return;
      const zoom = clamp(pending.zoom, jm.view.opts.zoom.min, jm.view.opts.zoom.max);
      if (Math.abs(zoom - jm.view.zoom_current) > 0.005) jm.view.set_zoom(zoom, pending);
      pending = null;
    };

    pane.addEventListener("pointerdown", (event) => {
      if (event.pointerType === "mouse") return;
      touches.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (touches.size === 2) {
        const m = middle();
        pinch = { distance: m.distance, zoom: jm.view.zoom_current };
      }
    });
    pane.addEventListener("pointermove", (event) => {
      const last = touches.get(event.pointerId);
      if (!last) return;
      const now = { x: event.clientX, y: event.clientY };
      if (touches.size === 1) {
        pane.scrollBy(last.x - now.x, last.y - now.y);
        touches.set(event.pointerId, now);
        return;
      }
      touches.set(event.pointerId, now);
      if (!pinch || touches.size !== 2) return;
      const m = middle();
      pending = { x: m.x, y: m.y, zoom: (pinch.zoom * m.distance) / pinch.distance };
      if (!frame) frame = window.requestAnimationFrame(zoomTo);
    });
    const lift = (event) => {
      if (!touches.delete(event.pointerId)) return;
      if (touches.size < 2) pinch = null;
    };
    ["pointerup", "pointercancel", "pointerleave"].forEach((type) =>
      pane.addEventListener(type, lift),
    );
  }

  async function unfold(categoryId) {
    const parent = jm.get_node(`c${categoryId}`);
    if (!parent) return;
    const response = await fetch(withId(host.dataset.issuesUrl, categoryId));
    if (!response.ok) return;
    const payload = await response.json();
    parent.data.unfolded = true;
    payload.issues.forEach((issue) => {
      jm.add_node(parent, `i${issue.id}`, `${issue.code} ${issue.title}`, {
        kind: "issue",
        id: issue.id,
        light: issue.light,
      });
    });
    if (payload.more) {
      jm.add_node(parent, `more${categoryId}`, `… ${words.more}`, { kind: "more" });
    }
    jm.update_node(parent.id, parent.topic);
    jm.expand_node(parent);
  }

  // A double click on a category opens its items in the list.
  host.addEventListener("dblclick", (event) => {
    const node = event.target.closest("jmnode[data-category-id]");
    if (node) window.location.href = `${host.dataset.listUrl}?category=${node.dataset.categoryId}`;
  });

  host.addEventListener("click", (event) => {
    const button = event.target.closest("[data-unfold]");
    if (button) {
      event.preventDefault();
      event.stopPropagation();
      unfold(button.dataset.unfold);
    }
  });

  // --- editing ---------------------------------------------------------------------------

  function selectedCategory() {
    const node = jm && jm.get_selected_node();
    if (!node || !node.data || node.data.kind !== "category") return null;
    return node;
  }

  function describeSelection() {
    if (!editor) return;
    const node = jm.get_selected_node();
    const label = editor.querySelector("[data-selected-label]");
    if (node && node.data && (node.data.kind === "category" || node.isroot)) {
      label.textContent = node.topic;
    }
  }

  function fillMoveTargets(nodes) {
    if (!editor) return;
    const select = editor.querySelector("[data-move-target]");
    select.textContent = "";
    const top = el("option", "", words.top);
    top.value = "";
    select.appendChild(top);
    nodes.forEach((n) => {
      const option = el("option", "", "\u3000".repeat(n.depth) + n.name);
      option.value = n.id;
      select.appendChild(option);
    });
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    });
    const error = editor.querySelector("[data-edit-error]");
    if (!response.ok) {
      let message = words.failed;
      try {
        message = (await response.json()).error || message;
      } catch (_e) {
        // not JSON: keep the general message
      }
      error.textContent = message;
      return null;
    }
    error.textContent = "";
    return response.json();
  }

  if (editor) {
    editor.addEventListener("click", async (event) => {
      const button = event.target.closest("[data-edit]");
      if (!button || !jm) return;
      const action = button.dataset.edit;
      const selected = jm.get_selected_node();
      const category = selectedCategory();
      if (action === "add") {
        const name = window.prompt(words.new_name);
        if (!name) return;
        const parent = category ? category.data.cid : null;
        const made = await post(host.dataset.addUrl, { name, parent });
        if (made) {
          if (category) collapsed.delete(category.id);
          await load();
          if (jm.get_node(`c${made.id}`)) jm.select_node(`c${made.id}`);
        }
        return;
      }
      if (!category) return;
      const id = category.data.cid;
      let done = null;
      if (action === "rename") {
        const name = window.prompt(words.rename, category.topic);
        if (!name) return;
        done = await post(withId(host.dataset.renameUrl, id), { name });
      } else if (action === "up" || action === "down") {
        done = await post(withId(host.dataset.moveUrl, id), { step: action === "up" ? -1 : 1 });
      } else if (action === "move") {
        const target = editor.querySelector("[data-move-target]").value;
        done = await post(withId(host.dataset.moveUrl, id), { parent: target || null });
      }
      if (done) {
        await load();
        if (selected && jm.get_node(selected.id)) jm.select_node(selected.id);
      }
    });
  }

  // --- pictures ----------------------------------------------------------------------------

  const LIGHTS = { red: "#d63031", yellow: "#f1c40f", green: "#27ae60", grey: "#b2bec3" };
  const escapeXml = (value) =>
    String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  function drawing() {
    const boxes = {};
    const container = host.querySelector("jmnodes");
    Object.values(jm.mind.nodes).forEach((node) => {
      const element = node._data && node._data.view && node._data.view.element;
      if (!element || !jm.layout.is_visible(node) || element.offsetWidth === 0) return;
      boxes[node.id] = {
        node,
        x: element.offsetLeft,
        y: element.offsetTop,
        w: element.offsetWidth,
        h: element.offsetHeight,
      };
    });
    const all = Object.values(boxes);
    if (!all.length || !container) return null;
    const pad = 20;
    const minX = Math.min(...all.map((b) => b.x)) - pad;
    const minY = Math.min(...all.map((b) => b.y)) - pad;
    const width = Math.max(...all.map((b) => b.x + b.w)) - minX + pad;
    const height = Math.max(...all.map((b) => b.y + b.h)) - minY + pad;
    const parts = [];
    all.forEach((b) => {
      const parent = b.node.parent && boxes[b.node.parent.id];
      if (!parent) return;
      const toLeft = b.x < parent.x;
      const x1 = (toLeft ? parent.x : parent.x + parent.w) - minX;
      const y1 = parent.y + parent.h / 2 - minY;
      const x2 = (toLeft ? b.x + b.w : b.x) - minX;
      const y2 = b.y + b.h / 2 - minY;
      const mid = (x1 + x2) / 2;
      parts.push(
        `<path d="M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}" fill="none" stroke="#8a94a6" stroke-width="1.5"/>`,
      );
    });
    all.forEach((b) => {
      const data = b.node.data || {};
      const x = b.x - minX;
      const y = b.y - minY;
      const fill = b.node.isroot ? "#0d6efd" : "#ffffff";
      const color = b.node.isroot ? "#ffffff" : "#212529";
      parts.push(
        `<rect x="${x}" y="${y}" width="${b.w}" height="${b.h}" rx="5" fill="${fill}" stroke="#ced4da"/>`,
      );
      let textX = x + 8;
      if (data.light && LIGHTS[data.light]) {
        parts.push(`<circle cx="${x + 12}" cy="${y + b.h / 2}" r="5" fill="${LIGHTS[data.light]}"/>`);
        textX = x + 22;
      }
      let label = b.node.topic;
      if (data.kind === "category") label += `  ${data.total} / ${data.closed}`;
      parts.push(
        `<text x="${textX}" y="${y + b.h / 2}" dominant-baseline="central" font-family="Noto Sans CJK SC, sans-serif" font-size="13" fill="${color}">${escapeXml(label)}</text>`,
      );
    });
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
      `<rect width="100%" height="100%" fill="#ffffff"/>${parts.join("")}</svg>`;
    return { svg, width, height };
  }

  function save(blob, name) {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    setTimeout(() => {
      URL.revokeObjectURL(link.href);
      link.remove();
    }, 1000);
  }

  document.querySelectorAll("[data-download]").forEach((button) => {
    button.addEventListener("click", () => {
      const picture = jm && drawing();
      if (!picture) return;
      const name = host.dataset.filename || "mindmap";
      if (button.dataset.download === "svg") {
        save(new Blob([picture.svg], { type: "image/svg+xml" }), `${name}.svg`);
        return;
      }
      const image = new Image();
      image.onload = () => {
        const canvas = document.createElement("canvas");
        canvas.width = picture.width * 2;
        canvas.height = picture.height * 2;
        const context = canvas.getContext("2d");
        context.scale(2, 2);
        context.drawImage(image, 0, 0);
        canvas.toBlob((blob) => blob && save(blob, `${name}.png`), "image/png");
      };
      image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(picture.svg)}`;
    });
  });

  window.gongjianMindmap = { drawing: () => jm && drawing() };
  load();
});
