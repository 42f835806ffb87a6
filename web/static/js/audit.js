// Audit page: drag-and-drop upload with per-file progress and errors, live analysis progress.
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var form = document.getElementById("upload-form");
  var list = document.getElementById("upload-list");
  var bar = document.getElementById("progress-bar");
  var MAX_PARALLEL = 3;
  var queue = [], running = 0, pollTimer = null;

  function row(file) {
    var li = document.createElement("li");
    var name = document.createElement("span"); name.textContent = file.name;
    var prog = document.createElement("progress"); prog.max = 100; prog.value = 0;
    var msg = document.createElement("span"); msg.className = "msg";
    li.appendChild(name); li.appendChild(prog); li.appendChild(msg);
    list.appendChild(li);
    return { li: li, prog: prog, msg: msg };
  }

  function send(item) {
    running++;
    var data = new FormData();
    data.append("photos", item.file, item.file.name);
    data.append("area", document.getElementById("upload-area").value);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = function (e) { if (e.lengthComputable) item.ui.prog.value = Math.round(100 * e.loaded / e.total); };
    xhr.onload = function () {
      var res = null;
      try { res = JSON.parse(xhr.responseText); } catch (err) { res = null; }
      var r = res && res.results && res.results[0];
      if (r && r.ok) {
        item.ui.li.className = "ok"; item.ui.prog.value = 100;
        item.ui.msg.textContent = r.message + (r.flags && r.flags.length ? " ⚑ " + r.flags.join(", ") : "");
      } else {
        item.ui.li.className = "bad";
        item.ui.msg.textContent = r ? r.message : (res && res.message) || ("HTTP " + xhr.status);
      }
      done();
    };
    xhr.onerror = function () { item.ui.li.className = "bad"; item.ui.msg.textContent = "network error"; done(); };
    xhr.send(data);
  }

  function done() { running--; pump(); startPolling(); }
  function pump() { while (running < MAX_PARALLEL && queue.length) send(queue.shift()); }

  function addFiles(files) {
    for (var i = 0; i < files.length; i++) queue.push({ file: files[i], ui: row(files[i]) });
    pump();
  }

  if (form) {
    var drop = document.getElementById("drop-zone");
    var input = document.getElementById("file-input");
    input.addEventListener("change", function () { addFiles(input.files); input.value = ""; });
    ["dragenter", "dragover"].forEach(function (ev) {
      drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (ev) {
      drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (e) { addFiles(e.dataTransfer.files); });
    form.addEventListener("submit", function (e) { e.preventDefault(); addFiles(input.files); });
  }

  function poll() {
    fetch(bar.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (p) {
        bar.max = Math.max(1, p.photos); bar.value = p.done;
        document.getElementById("progress-text").textContent = p.done + "/" + p.photos;
        if (p.score !== null && p.score !== undefined) document.getElementById("score-total").textContent = p.score.toFixed(1);
        if (p.finished && running === 0 && queue.length === 0) {
          clearInterval(pollTimer); pollTimer = null;
          if (bar.dataset.finished !== "1") window.location.reload();
        }
      })
      .catch(function () {});
  }

  function startPolling() { if (!pollTimer && bar) { bar.dataset.finished = "0"; pollTimer = setInterval(poll, 1500); } }
  if (bar && bar.dataset.finished !== "1") { pollTimer = setInterval(poll, 1500); }
})();
