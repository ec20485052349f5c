// The page at /: one input per stream of the run (/info), POST /predict, the outputs and each
// stream's attention drawn in a <canvas> (output tokens as rows, source positions as columns).
"use strict";

const $ = (id) => document.getElementById(id);
const files = {};   // stream name -> the File chosen or dropped for it
let streams = [];

function describe(info) {
  const encoders = Object.entries(info.config.encoders).map(([s, e]) => `${s}: ${e}`).join(", ");
  const kinds = info.streams.map((s) => `${s.name} (${s.modality})`).join(", ");
  $("about").textContent = `${info.run} · encoder ${encoders} · decoder ${info.config.decoder} · ` +
    `${info.target_vocab_size} target tokens · streams ${kinds}`;
}

function textInput(stream) {
  const box = document.createElement("textarea");
  box.id = `input-${stream.name}`;
  box.placeholder = "type a source text";
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); decode(); }
  });
  return box;
}

function fileInput(stream) {
  const zone = document.createElement("div");
  zone.className = "drop";
  zone.id = `drop-${stream.name}`;
  zone.tabIndex = 0;
  const label = document.createElement("span");
  label.textContent = `drop a file here (${stream.modality}), or click to choose one`;
  const chooser = document.createElement("input");
  chooser.type = "file";
  chooser.id = `input-${stream.name}`;
  chooser.hidden = true;
  zone.append(label, chooser);
  const take = (file) => {
    files[stream.name] = file;
    label.textContent = `${file.name} (${Math.ceil(file.size / 1024)} kB)`;
    zone.querySelector(".preview")?.remove();
    const preview = document.createElement(file.type.startsWith("image/") ? "img" :
      file.type.startsWith("audio/") ? "audio" : "span");
    if (preview.tagName !== "SPAN") {
      preview.className = "preview";
      preview.src = URL.createObjectURL(file);
      preview.controls = true;
      zone.append(preview);
    }
    if (streams.length === 1) decode();
  };
  zone.addEventListener("click", (event) => { if (event.target.tagName !== "AUDIO") chooser.click(); });
  chooser.addEventListener("change", () => { if (chooser.files.length) take(chooser.files[0]); });
  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    if (event.dataTransfer.files.length) take(event.dataTransfer.files[0]);
  });
  return zone;
}

function buildInputs(info) {
  streams = info.streams;
  for (const stream of streams) {
    const row = document.createElement("div");
    row.className = "stream";
    const name = document.createElement("span");
    name.textContent = streams.length === 1 ? "Input" : `${stream.name} (${stream.modality})`;
    row.append(name, stream.reads_files ? fileInput(stream) : textInput(stream));
    $("inputs").append(row);
  }
}

function requestBody() {
  const form = new FormData();
  for (const stream of streams) {
    if (stream.reads_files) {
      if (files[stream.name]) form.append(stream.name, files[stream.name], files[stream.name].name);
    } else {
      const text = $(`input-${stream.name}`).value;
      if (text.trim()) form.append(stream.name, text);
    }
  }
  if ($("beam").value) form.append("beam", $("beam").value);
  if ($("n-best").value) form.append("n_best", $("n-best").value);
  return form;
}

async function decode() {
  $("error").hidden = true;
  $("decode").disabled = true;
  try {
    const response = await fetch("/predict", { method: "POST", body: requestBody() });
    const reply = await response.json();
    if (!response.ok) throw new Error(reply.error || `HTTP ${response.status}`);
    show(reply);
  } catch (problem) {
    $("error").textContent = problem.message;
    $("error").hidden = false;
  } finally {
    $("decode").disabled = false;
  }
}

function show(reply) {
  const list = $("outputs");
  list.replaceChildren();
  reply.outputs.forEach((text, index) => {
    const item = document.createElement("li");
    const words = document.createElement("span");
    words.className = "text";
    words.textContent = text || "(empty)";
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = `score ${reply.scores[index].toFixed(3)}`;
    item.append(words, score);
    list.append(item);
  });
  const pictures = $("attention");
  pictures.replaceChildren();
  for (const [stream, map] of Object.entries(reply.attention)) {
    const figure = document.createElement("figure");
    const canvas = document.createElement("canvas");
    canvas.dataset.stream = stream;
    const caption = document.createElement("figcaption");
    caption.textContent = `${stream} (${map.modality}): ${map.weights.length} output steps × ` +
      `${map.weights[0]?.length ?? 0} source positions`;
    figure.append(canvas, caption);
    pictures.append(figure);
    drawAttention(canvas, map, pictures.clientWidth || 800);
  }
  $("result").hidden = false;
}

const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

function colour(value) {
  const x = Math.max(0, Math.min(1, value)) * (VIRIDIS.length - 1);
  const low = Math.floor(x), high = Math.min(low + 1, VIRIDIS.length - 1), t = x - low;
  const [r, g, b] = VIRIDIS[low].map((c, i) => Math.round(c + t * (VIRIDIS[high][i] - c)));
  return `rgb(${r},${g},${b})`;
}

// weights (T, S) as a heat map: target labels left of the rows, source labels (when any) above.
function drawAttention(canvas, map, width) {
  const weights = map.weights, steps = weights.length, positions = steps ? weights[0].length : 0;
  const context = canvas.getContext("2d");
  context.font = "12px system-ui, sans-serif";
  const left = 8 + Math.max(0, ...map.target_labels.map((l) => context.measureText(l).width));
  const sources = map.source_labels && map.source_labels.length === positions ? map.source_labels : null;
  const top = sources ? 8 + Math.max(0, ...sources.map((l) => context.measureText(l).width)) : 4;
  const cell = Math.max(2, Math.min(24, Math.floor((width - left - 8) / Math.max(1, positions))));
  const row = 18;
  canvas.width = left + cell * positions + 8;
  canvas.height = top + row * steps + 4;
  context.font = "12px system-ui, sans-serif";
  const highest = Math.max(1e-9, ...weights.flat());
  weights.forEach((line, t) => line.forEach((w, s) => {
    context.fillStyle = colour(w / highest);
    context.fillRect(left + s * cell, top + t * row, cell, row);
  }));
  context.fillStyle = "#1d1d1f";
  context.textBaseline = "middle";
  context.textAlign = "right";
  map.target_labels.forEach((label, t) => context.fillText(label, left - 4, top + t * row + row / 2));
  if (sources) {
    context.textAlign = "left";
    sources.forEach((label, s) => {
      context.save();
      context.translate(left + s * cell + cell / 2, top - 4);
      context.rotate(-Math.PI / 2);
      context.fillText(label, 0, 0);
      context.restore();
    });
  }
  canvas.dataset.drawn = "true";
}

$("request").addEventListener("submit", (event) => { event.preventDefault(); decode(); });
fetch("/info").then((response) => response.json()).then((info) => { describe(info); buildInputs(info); })
  .catch((problem) => { $("about").textContent = `could not read /info: ${problem.message}`; });
