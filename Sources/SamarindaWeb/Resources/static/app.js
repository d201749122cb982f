// Samarinda.ai staff web. Hand-written, no build step. Every piece of data from the server is put
// into the page with textContent or attributes set through the DOM, never as HTML, so a stored
// "<script>" stays text. The CSP forbids inline script as a second line of defence.
(function () {
  'use strict';

  var T = {};
  try { T = JSON.parse(document.getElementById('i18n').textContent || '{}'); } catch (e) { T = {}; }
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var CSRF = csrfMeta ? csrfMeta.getAttribute('content') : '';

  function t(key, arg) {
    var s = T[key] || key;
    return arg === undefined ? s : s.replace('%s', String(arg));
  }

  // el('a', {href: x, class: 'y', text: 'z'}, child, ...) builds elements safely.
  function el(tag, attrs) {
    var e = document.createElement(tag);
    attrs = attrs || {};
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = String(v);
      else e.setAttribute(k, v === true ? '' : String(v));
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function setStatus(node, text, isError) {
    if (!node) return;
    node.textContent = text || '';
    node.classList.toggle('error', !!isError);
  }

  function levelLabel(name) { return T['level_' + name] || name; }

  // One place that explains an API failure in the page's language.
  function explain(status, data) {
    var err = data && data.error ? data.error : null;
    var code = err && err.code ? err.code : '';
    if (status === 401) return t('js_session_expired');
    if (code === 'classification_denied') return t('js_level_denied') + (err.message ? ' (' + err.message + ')' : '');
    if (status === 404 && code === 'unknown_route') return t('js_not_available');
    if (status === 403 && !err) return t('js_forbidden');
    if (err && err.message) return t('js_error') + ': ' + err.message;
    return t('js_error') + ' (HTTP ' + status + ')';
  }

  function api(method, url, body) {
    var headers = { 'Accept': 'application/json', 'X-CSRF-Token': CSRF };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(url, { method: method, headers: headers, credentials: 'same-origin',
                        body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (res) {
        return res.text().then(function (text) {
          var data = null;
          try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
          return { ok: res.ok, status: res.status, data: data, message: res.ok ? '' : explain(res.status, data) };
        });
      }, function () { return { ok: false, status: 0, data: null, message: t('js_network_error') }; });
  }

  function listOf(data, keys) {
    if (Array.isArray(data)) return data;
    if (!data || typeof data !== 'object') return [];
    for (var i = 0; i < keys.length; i++) if (Array.isArray(data[keys[i]])) return data[keys[i]];
    return [];
  }

  function pick(obj) {
    for (var i = 1; i < arguments.length; i++) {
      var v = obj ? obj[arguments[i]] : undefined;
      if (v !== undefined && v !== null && v !== '') return v;
    }
    return undefined;
  }

  // A JSON value as nested lists a person can read: objects as term/definition, arrays as lists.
  function renderValue(v, depth) {
    depth = depth || 0;
    if (v === null || v === undefined) return el('span', { class: 'meta', text: '—' });
    if (typeof v === 'boolean') return el('span', { text: v ? t('js_yes') : t('js_no') });
    if (typeof v !== 'object' || depth > 6) return el('span', { text: typeof v === 'object' ? JSON.stringify(v) : String(v) });
    if (Array.isArray(v)) {
      if (!v.length) return el('span', { class: 'meta', text: '—' });
      var ol = el('ol');
      v.forEach(function (item) { ol.append(el('li', {}, renderValue(item, depth + 1))); });
      return ol;
    }
    var dl = el('dl');
    Object.keys(v).forEach(function (k) {
      dl.append(el('dt', { text: k.replace(/_/g, ' ') }), el('dd', {}, renderValue(v[k], depth + 1)));
    });
    return dl;
  }

  function resultBlock(heading, data) {
    var raw = el('details', {}, el('summary', { text: t('js_tools_raw') }), el('pre', { text: JSON.stringify(data, null, 2) }));
    return el('div', { class: 'result', role: 'region', 'aria-label': heading },
      el('h3', { text: heading }), el('div', { class: 'tree' }, renderValue(data)), raw);
  }

  // {====== Confirmations on destructive buttons ======}
  document.addEventListener('click', function (e) {
    var b = e.target.closest ? e.target.closest('[data-confirm]') : null;
    if (b && !window.confirm(b.getAttribute('data-confirm'))) e.preventDefault();
  });

  // {====== Chat: streamed answers with provider, classification and citations ======}
  function passageHref(c) {
    var doc = encodeURIComponent(String(pick(c, 'document_id', 'documentID', 'document') || ''));
    var chunk = pick(c, 'chunk_id', 'chunkID', 'chunk');
    if (chunk === undefined) return '/documents/' + doc;
    var ch = encodeURIComponent(String(chunk));
    return '/documents/' + doc + '?chunk=' + ch + '#chunk-' + ch;
  }

  function citationList(citations) {
    var box = el('div', { class: 'citations' }, el('h3', { text: t('js_sources') }));
    var ol = el('ol');
    citations.forEach(function (c, i) {
      var n = pick(c, 'n') || (i + 1);
      var label = '[' + n + '] ' + (c.title || '') + (c.section ? ' — ' + c.section : '');
      var li = el('li', { value: n }, el('a', { class: 'citation', href: passageHref(c), text: label }));
      if (c.snippet) li.append(el('p', { class: 'snippet', text: c.snippet }));
      ol.append(li);
    });
    box.append(ol);
    return box;
  }

  function initChat() {
    var form = document.getElementById('ask-form');
    if (!form) return;
    var list = document.getElementById('messages');
    var question = document.getElementById('question');
    var status = document.getElementById('ask-status');
    var submit = document.getElementById('ask-submit');
    var conversation = form.getAttribute('data-conversation');
    var model = form.getAttribute('data-model') || 'samarinda-default';
    var level = form.getAttribute('data-level') || 'biasa';

    question.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
    });

    function bubble(role, text) {
      var li = el('li', { class: 'msg msg-' + role, 'data-role': role },
        el('div', { class: 'msg-who', text: role === 'user' ? t('js_you') : 'Samarinda.ai' }),
        el('div', { class: 'msg-text', text: text }));
      list.append(li);
      return li;
    }

    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var text = question.value.trim();
      if (!text) {
        question.setAttribute('aria-invalid', 'true');
        setStatus(status, t('js_question_required'), true);
        question.focus();
        return;
      }
      question.removeAttribute('aria-invalid');
      bubble('user', text);
      question.value = '';
      submit.disabled = true;
      setStatus(status, t('js_sending'));
      var answer = bubble('assistant', '');
      var answerText = answer.querySelector('.msg-text');
      answerText.classList.add('cursor');
      var got = { text: '', provider: null, classification: null, citations: [], aiGenerated: false };

      function absorb(obj) {
        if (!obj || typeof obj !== 'object') return;
        if (obj.error) throw { shown: t('js_error') + ': ' + (obj.error.message || '') };
        var choice = obj.choices && obj.choices[0];
        var piece = choice ? ((choice.delta && choice.delta.content) || (choice.message && choice.message.content) || '') : '';
        if (piece) { got.text += piece; answerText.textContent = got.text; }
        if (obj.provider) got.provider = obj.provider;
        if (obj.classification) got.classification = obj.classification;
        if (Array.isArray(obj.citations) && obj.citations.length) got.citations = obj.citations;
        if (obj.samarinda && obj.samarinda.ai_generated) got.aiGenerated = true;
      }

      function finish(errorText) {
        answerText.classList.remove('cursor');
        submit.disabled = false;
        if (errorText) {
          answer.append(el('p', { class: 'alert', role: 'alert', text: errorText }));
          setStatus(status, errorText, true);
          return;
        }
        var meta = el('p', { class: 'msg-meta' });
        // The explicit AI-generated label the server marks every answer with (samarinda.ai_generated).
        if (got.aiGenerated) meta.append(el('span', { class: 'badge ai-generated', text: t('js_ai_generated') }));
        if (got.provider) meta.append(el('span', {}, t('js_provider') + ': ', el('strong', { class: 'provider', text: got.provider })));
        meta.append(el('span', {}, t('js_classification') + ': ', el('strong', { class: 'classification', text: levelLabel(got.classification || level) })));
        answer.append(meta);
        if (got.citations.length) answer.append(citationList(got.citations));
        setStatus(status, t('js_done'));
        question.focus();
      }

      // The server keeps the conversation: it puts the stored turns before this question and stores the
      // question with the answer it produced. The page sends only the new question.
      fetch('/v1/chat/completions', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'Accept': 'text/event-stream', 'X-CSRF-Token': CSRF },
        body: JSON.stringify({ model: model, conversation_id: conversation, messages: [{ role: 'user', content: text }],
                               stream: true, classification: level })
      }).then(function (res) {
        if (!res.ok) {
          return res.text().then(function (body) {
            var data = null;
            try { data = JSON.parse(body); } catch (x) { data = null; }
            finish(explain(res.status, data));
          });
        }
        setStatus(status, t('js_streaming'));
        var type = res.headers.get('content-type') || '';
        if (type.indexOf('text/event-stream') < 0 || !res.body) {
          return res.json().then(function (obj) { absorb(obj); finish(); });
        }
        // Server-sent events: blocks separated by a blank line, each with "data:" lines; "[DONE]" ends.
        var reader = res.body.getReader();
        var decoder = new TextDecoder();
        var buffer = '';
        var done = false;
        function handle(block) {
          var data = block.split('\n').filter(function (l) { return l.indexOf('data:') === 0; })
            .map(function (l) { return l.slice(5).replace(/^ /, ''); }).join('\n');
          if (!data) return;
          if (data === '[DONE]') { done = true; return; }
          absorb(JSON.parse(data));
        }
        function pump() {
          return reader.read().then(function (r) {
            if (r.value) buffer += decoder.decode(r.value, { stream: true });
            buffer = buffer.replace(/\r\n/g, '\n');
            var cut;
            while (!done && (cut = buffer.indexOf('\n\n')) >= 0) {
              handle(buffer.slice(0, cut));
              buffer = buffer.slice(cut + 2);
            }
            if (r.done || done) {
              if (!done && buffer.trim()) handle(buffer);
              finish();
              return;
            }
            return pump();
          });
        }
        return pump();
      }).catch(function (err) {
        finish(err && err.shown ? err.shown : t('js_network_error'));
      });
    });
  }

  // {====== Tools: a form generated from each tool's input schema ======}
  function normalizeTools(data) {
    return listOf(data, ['tools', 'data']).map(function (x) {
      var fn = x['function'] || {};
      var plugin = pick(x, 'plugin', 'plugin_id');
      var name = pick(x, 'tool', 'name') || fn.name || '';
      if (!plugin && name.lastIndexOf('.') > 0) { plugin = name.slice(0, name.lastIndexOf('.')); name = name.slice(name.lastIndexOf('.') + 1); }
      if (!plugin && name.indexOf('/') > 0) { plugin = name.split('/')[0]; name = name.split('/')[1]; }
      return {
        plugin: plugin || '', name: name, title: pick(x, 'title') || name,
        description: pick(x, 'description') || fn.description || '',
        schema: pick(x, 'input_schema', 'inputSchema', 'parameters') || fn.parameters || { type: 'object', properties: {} },
        classification: pick(x, 'classification'), readOnly: pick(x, 'read_only', 'readOnly')
      };
    });
  }

  function fieldFor(toolIndex, key, prop, required) {
    var id = 'tool-' + toolIndex + '-' + key.replace(/[^A-Za-z0-9_-]/g, '_');
    var type = Array.isArray(prop.type) ? prop.type[0] : prop.type;
    var label = el('label', { for: id }, prop.title || key);
    if (required) label.append(' ', el('span', { class: 'req', 'aria-hidden': 'true', text: '*' }), el('span', { class: 'sr-only', text: '(' + t('js_required') + ')' }));
    var hintID = id + '-hint', errorID = id + '-error';
    var describedBy = (prop.description ? hintID + ' ' : '') + errorID;
    var input;
    if (Array.isArray(prop['enum'])) {
      input = el('select', { id: id, name: key });
      input.append(el('option', { value: '', text: t('js_choose') }));
      prop['enum'].forEach(function (v) { input.append(el('option', { value: String(v), text: String(v) })); });
    } else if (type === 'boolean') {
      input = el('input', { id: id, name: key, type: 'checkbox' });
    } else if (type === 'number' || type === 'integer') {
      input = el('input', { id: id, name: key, type: 'number', inputmode: type === 'integer' ? 'numeric' : 'decimal',
                            step: type === 'integer' ? '1' : 'any', min: prop.minimum, max: prop.maximum });
    } else if (type === 'object' || type === 'array') {
      input = el('textarea', { id: id, name: key, rows: 3, spellcheck: 'false' });
    } else {
      input = prop.maxLength && prop.maxLength > 200 ? el('textarea', { id: id, name: key, rows: 3 }) : el('input', { id: id, name: key, type: 'text' });
    }
    if (required) input.setAttribute('aria-required', 'true');
    input.setAttribute('aria-describedby', describedBy);
    if (prop['default'] !== undefined && type !== 'boolean') input.value = typeof prop['default'] === 'object' ? JSON.stringify(prop['default']) : String(prop['default']);
    var field = el('div', { class: 'field' }, label, input);
    if (prop.description) field.append(el('p', { class: 'hint', id: hintID, text: prop.description }));
    field.append(el('p', { class: 'field-error', id: errorID }));
    return { key: key, prop: prop, type: type, required: required, input: input, error: field.lastChild, node: field };
  }

  // Reads and checks one field; returns {value} or {problem}.
  function readField(f) {
    var p = f.prop, raw = f.type === 'boolean' ? f.input.checked : f.input.value.trim();
    if (f.type === 'boolean') return { value: raw };
    if (raw === '') return f.required ? { problem: t('js_field_required') } : { skip: true };
    if (f.type === 'number' || f.type === 'integer') {
      var n = Number(raw);
      if (!isFinite(n)) return { problem: t('js_field_number') };
      if (f.type === 'integer' && Math.floor(n) !== n) return { problem: t('js_field_integer') };
      if (p.minimum !== undefined && n < p.minimum) return { problem: t('js_field_min', p.minimum) };
      if (p.maximum !== undefined && n > p.maximum) return { problem: t('js_field_max', p.maximum) };
      return { value: n };
    }
    if (f.type === 'object' || f.type === 'array') {
      try { return { value: JSON.parse(raw) }; } catch (e) { return { problem: t('js_error') + ': JSON' }; }
    }
    if (p.minLength !== undefined && raw.length < p.minLength) return { problem: t('js_field_minlength', p.minLength) };
    if (p.maxLength !== undefined && raw.length > p.maxLength) return { problem: t('js_field_maxlength', p.maxLength) };
    if (p.pattern) {
      try { if (!new RegExp(p.pattern, 'u').test(raw)) return { problem: t('js_field_pattern') }; } catch (e) { /* a pattern JS cannot read: the server checks */ }
    }
    return { value: raw };
  }

  function toolCard(tool, index) {
    var schema = tool.schema || {};
    var props = schema.properties || {};
    var required = Array.isArray(schema.required) ? schema.required : [];
    var headingID = 'tool-' + index + '-heading';
    var card = el('section', { class: 'card tool', 'aria-labelledby': headingID, 'data-tool': tool.plugin + '/' + tool.name });
    var header = el('header', {}, el('h2', { id: headingID, text: tool.title }));
    var badges = el('span', {});
    if (tool.classification) badges.append(el('span', { class: 'badge level-' + tool.classification, text: levelLabel(tool.classification) }), ' ');
    if (tool.readOnly !== undefined) badges.append(el('span', { class: 'meta', text: tool.readOnly ? t('js_readonly') : t('js_changes_state') }));
    header.append(badges);
    card.append(header, el('p', { class: 'tool-id', text: tool.plugin + ' / ' + tool.name }));
    if (tool.description) card.append(el('p', { text: tool.description }));
    var form = el('form', { novalidate: true, class: 'stack' });
    var fields = Object.keys(props).map(function (k) { return fieldFor(index, k, props[k] || {}, required.indexOf(k) >= 0); });
    fields.forEach(function (f) { form.append(f.node); });
    var status = el('p', { class: 'status', role: 'status' });
    var button = el('button', { type: 'submit', class: 'btn btn-primary', text: t('js_tools_run') });
    form.append(button, status);
    var output = el('div', { 'aria-live': 'polite' });
    card.append(form, output);

    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var args = {}, firstBad = null;
      fields.forEach(function (f) {
        var r = readField(f);
        f.error.textContent = r.problem || '';
        if (r.problem) { f.input.setAttribute('aria-invalid', 'true'); firstBad = firstBad || f.input; }
        else { f.input.removeAttribute('aria-invalid'); if (!r.skip) args[f.key] = r.value; }
      });
      if (firstBad) { setStatus(status, t('js_form_invalid'), true); firstBad.focus(); return; }
      button.disabled = true;
      setStatus(status, t('js_tools_running'));
      output.textContent = '';
      api('POST', '/v1/tools/' + encodeURIComponent(tool.plugin) + '/' + encodeURIComponent(tool.name), args).then(function (r) {
        button.disabled = false;
        if (!r.ok) { setStatus(status, r.message, true); if (r.data) output.append(resultBlock(t('js_error'), r.data)); return; }
        setStatus(status, '');
        output.append(resultBlock(t('js_tools_result'), r.data));
      });
    });
    return card;
  }

  function initTools() {
    var host = document.getElementById('tools');
    if (!host) return;
    var status = document.getElementById('tools-status');
    api('GET', '/v1/tools').then(function (r) {
      if (!r.ok) { setStatus(status, r.message, true); return; }
      var tools = normalizeTools(r.data);
      setStatus(status, tools.length ? '' : t('js_tools_none'));
      tools.forEach(function (tool, i) { host.append(toolCard(tool, i)); });
    });
  }

  // {====== Documents: upload with progress, browse, remove, and the passage view ======}
  function loadDocuments() {
    var table = document.getElementById('docs-table');
    var status = document.getElementById('docs-status');
    api('GET', '/v1/documents').then(function (r) {
      if (!r.ok) { setStatus(status, r.message, true); return; }
      var docs = listOf(r.data, ['documents', 'data']);
      var body = table.querySelector('tbody');
      body.textContent = '';
      table.hidden = !docs.length;
      setStatus(status, docs.length ? '' : t('js_docs_none'));
      docs.forEach(function (d) {
        var id = String(pick(d, 'id', 'document_id'));
        var title = pick(d, 'title', 'source_name', 'sourceName') || id;
        var remove = el('button', { type: 'button', class: 'btn btn-quiet btn-danger', text: t('js_docs_remove'), 'aria-label': t('js_docs_remove') + ': ' + title });
        remove.addEventListener('click', function () {
          if (!window.confirm(t('js_docs_remove_confirm', title))) return;
          api('DELETE', '/v1/documents/' + encodeURIComponent(id)).then(function (x) {
            setStatus(status, x.ok ? t('js_docs_removed') : x.message, !x.ok);
            if (x.ok) loadDocuments();
          });
        });
        body.append(el('tr', { 'data-document': id },
          el('td', {}, el('a', { href: '/documents/' + encodeURIComponent(id), text: title })),
          el('td', { text: pick(d, 'collection') || '' }),
          el('td', { text: levelLabel(pick(d, 'classification') || '') }),
          el('td', { class: 'num', text: pick(d, 'chunk_count', 'chunkCount', 'chunks') === undefined ? '' : String(pick(d, 'chunk_count', 'chunkCount', 'chunks')) }),
          el('td', {}, remove)));
      });
    });
  }

  // Polls GET /v1/jobs/{id} once a second and shows pages and files read; the job goes on if the page is left.
  function followJob(id, progress, status) {
    progress.hidden = false;
    api('GET', '/v1/jobs/' + encodeURIComponent(id)).then(function (r) {
      if (!r.ok) {
        try { localStorage.removeItem('samarinda-upload-job'); } catch (x) { /* ignore */ }
        progress.hidden = true;
        setStatus(status, r.message, true);
        return;
      }
      var job = r.data || {};
      var pages = job.pages || {}, files = job.files || {};
      if (job.status === 'done' || job.status === 'failed') {
        try { localStorage.removeItem('samarinda-upload-job'); } catch (x) { /* ignore */ }
        progress.value = 100;
        var result = (job.results || [])[0] || {};
        if (job.status === 'failed') setStatus(status, t('js_docs_job_failed') + ' ' + (job.error || ''), true);
        else setStatus(status, t('js_docs_uploaded', result.file || ''));
        loadDocuments();
        return;
      }
      progress.value = pages.total ? Math.round(pages.done * 100 / pages.total) : 0;
      setStatus(status, t('js_docs_job_progress').replace('%f', job.current_file || '').replace('%d', String(pages.done || 0))
        .replace('%t', String(pages.total || '?')).replace('%n', String(files.done || 0)).replace('%m', String(files.total || 1)));
      setTimeout(function () { followJob(id, progress, status); }, 1000);
    });
  }

  function initDocuments() {
    var form = document.getElementById('upload-form');
    if (!form) return;
    loadDocuments();
    var pending = null;
    try { pending = localStorage.getItem('samarinda-upload-job'); } catch (x) { pending = null; }
    if (pending) followJob(pending, document.getElementById('upload-progress'), document.getElementById('upload-status'));
    var file = document.getElementById('file');
    var fileError = document.getElementById('file-error');
    var progress = document.getElementById('upload-progress');
    var status = document.getElementById('upload-status');
    var submit = document.getElementById('upload-submit');
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      if (!file.files || !file.files.length) {
        fileError.textContent = t('js_docs_file_required');
        file.setAttribute('aria-invalid', 'true');
        file.focus();
        return;
      }
      fileError.textContent = '';
      file.removeAttribute('aria-invalid');
      var data = new FormData();
      data.append('file', file.files[0], file.files[0].name);
      data.append('classification', document.getElementById('doc-classification').value);
      data.append('collection', document.getElementById('collection').value.trim());
      var title = document.getElementById('doc-title').value.trim();
      if (title) data.append('title', title);
      // XMLHttpRequest, not fetch: only it reports upload progress.
      var xhr = new XMLHttpRequest();
      xhr.open('POST', '/v1/documents');
      xhr.setRequestHeader('X-CSRF-Token', CSRF);
      xhr.setRequestHeader('Accept', 'application/json');
      progress.hidden = false;
      progress.value = 0;
      submit.disabled = true;
      xhr.upload.onprogress = function (ev) {
        if (!ev.lengthComputable) return;
        var pct = Math.round(ev.loaded * 100 / ev.total);
        progress.value = pct;
        setStatus(status, t('js_docs_uploading').replace('%s', pct));
      };
      xhr.upload.onload = function () { progress.value = 100; setStatus(status, t('js_docs_processing')); };
      xhr.onerror = function () { submit.disabled = false; setStatus(status, t('js_network_error'), true); };
      xhr.onload = function () {
        submit.disabled = false;
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (x) { body = null; }
        if (xhr.status < 200 || xhr.status >= 300) { setStatus(status, explain(xhr.status, body), true); return; }
        // 202: a scan or a large file is read by a background job; follow it (and again after the clerk comes back).
        if (xhr.status === 202 && body && body.id) {
          try { localStorage.setItem('samarinda-upload-job', body.id); } catch (x) { /* private mode: follow this visit only */ }
          form.reset();
          followJob(body.id, progress, status);
          return;
        }
        var doc = (body && (body.document || (Array.isArray(body.documents) && body.documents[0]))) || body || {};
        var name = pick(doc, 'title', 'source_name', 'file') || file.files[0].name;
        var warnings = listOf(body, ['warnings', 'errors', 'skipped']);
        setStatus(status, t('js_docs_uploaded', name) + (warnings.length ? ' — ' + warnings.map(function (w) { return typeof w === 'string' ? w : JSON.stringify(w); }).join('; ') : ''));
        form.reset();
        loadDocuments();
      };
      xhr.send(data);
    });
  }

  function initDocumentView() {
    var host = document.getElementById('document');
    if (!host) return;
    var id = host.getAttribute('data-document');
    var cited = host.getAttribute('data-chunk') || (location.hash.indexOf('#chunk-') === 0 ? location.hash.slice(7) : '');
    var status = document.getElementById('doc-status');
    api('GET', '/v1/documents/' + encodeURIComponent(id)).then(function (r) {
      if (!r.ok) { setStatus(status, r.message, true); return; }
      var d = r.data && r.data.document ? Object.assign({}, r.data.document, { chunks: r.data.chunks || r.data.document.chunks }) : (r.data || {});
      document.getElementById('doc-heading').textContent = pick(d, 'title', 'source_name') || id;
      document.title = (pick(d, 'title') || id) + ' · Samarinda.ai';
      var parts = [pick(d, 'collection'), pick(d, 'department'), pick(d, 'classification') && levelLabel(d.classification)].filter(Boolean);
      var meta = parts.filter(function (x, i) { return parts.indexOf(x) === i; }).join(' · ');
      document.getElementById('doc-meta').textContent = meta;
      setStatus(status, '');
      var chunks = listOf(d, ['chunks', 'passages']);
      var target = null;
      if (!chunks.length && (d.text || d.content)) chunks = [{ id: '', section: '', text: d.text || d.content }];
      chunks.forEach(function (c) {
        var cid = String(pick(c, 'id', 'chunk_id') === undefined ? '' : pick(c, 'id', 'chunk_id'));
        var isCited = cited && cid === cited;
        var sec = el('section', { class: 'chunk' + (isCited ? ' cited' : ''), id: 'chunk-' + cid, 'data-chunk': cid, tabindex: isCited ? '-1' : null });
        var heading = [isCited ? t('js_doc_passage') : null, c.section || null].filter(Boolean).join(' — ');
        if (heading) sec.append(el('h2', { text: heading }));
        sec.append(el('div', { class: 'chunk-text', text: pick(c, 'text', 'content') || '' }));
        host.append(sec);
        if (isCited) target = sec;
      });
      if (target) { target.scrollIntoView({ block: 'center' }); target.focus({ preventScroll: true }); }
    });
  }

  // {====== Auditor view: verification, filtered trail, monthly report ======}
  function initAudit() {
    var verifyBox = document.getElementById('verify-result');
    if (!verifyBox) return;
    api('GET', '/v1/audit/verify').then(function (r) {
      verifyBox.textContent = '';
      if (!r.ok) { verifyBox.append(el('p', { class: 'status error', id: 'verify-status', text: r.message })); return; }
      var d = r.data || {};
      var ok = d.ok !== undefined ? d.ok : d.valid !== undefined ? d.valid : (d.verdict ? d.verdict === 'ok' : !d.problem);
      verifyBox.append(el('p', { class: ok ? 'ok-box' : 'alert', id: 'verify-verdict', role: ok ? 'status' : 'alert', text: ok ? t('js_verify_ok') : t('js_verify_bad') }));
      var checkpoint = pick(d, 'checkpoint', 'last_checkpoint', 'lastCheckpoint', 'signed_checkpoint');
      if (checkpoint) verifyBox.append(el('h3', { text: t('js_verify_checkpoint') }), el('div', { class: 'tree', id: 'verify-checkpoint' }, renderValue(checkpoint)));
      var rest = Object.assign({}, d);
      ['checkpoint', 'last_checkpoint', 'lastCheckpoint', 'signed_checkpoint'].forEach(function (k) { delete rest[k]; });
      verifyBox.append(el('details', {}, el('summary', { text: t('js_tools_raw') }), el('div', { class: 'tree' }, renderValue(rest))));
    });

    var filters = document.getElementById('audit-filters');
    var table = document.getElementById('audit-table');
    var status = document.getElementById('audit-status');
    function loadTrail() {
      var params = new URLSearchParams();
      Array.prototype.forEach.call(filters.elements, function (f) { if (f.name && f.value) params.append(f.name, f.value.trim()); });
      api('GET', '/v1/audit' + (params.toString() ? '?' + params.toString() : '')).then(function (r) {
        if (!r.ok) { setStatus(status, r.message, true); table.hidden = true; return; }
        var rows = listOf(r.data, ['entries', 'events', 'data']);
        var body = table.querySelector('tbody');
        body.textContent = '';
        table.hidden = !rows.length;
        setStatus(status, rows.length ? t('js_audit_count', rows.length) : t('js_audit_none'));
        rows.forEach(function (e) {
          var actor = e.actor || {};
          var who = [pick(actor, 'principal_id', 'principalID') || pick(e, 'principal_id', 'principal'), pick(actor, 'department') || pick(e, 'department'), pick(actor, 'role') || pick(e, 'role')].filter(Boolean).join(' · ');
          var outcome = typeof e.outcome === 'object' && e.outcome ? e.outcome : { name: e.outcome, code: e.outcome_code || e.code };
          var outcomeText = (outcome.name || '') + (outcome.code ? ' (' + outcome.code + ')' : '');
          body.append(el('tr', {},
            el('td', { class: 'num', text: pick(e, 'seq', 'id') === undefined ? '' : String(pick(e, 'seq', 'id')) }),
            el('td', { text: pick(e, 'timestamp', 'time', 'at') || '' }),
            el('td', { text: who }),
            el('td', { text: e.action || '' }),
            el('td', { text: e.target || '' }),
            el('td', { text: e.classification ? levelLabel(e.classification) : '' }),
            el('td', { class: 'outcome-' + (outcome.name || ''), text: outcomeText })));
        });
      });
    }
    filters.addEventListener('submit', function (e) { e.preventDefault(); loadTrail(); });
    loadTrail();

    var reportForm = document.getElementById('report-form');
    var reportBox = document.getElementById('report-result');
    var reportStatus = document.getElementById('report-status');
    reportForm.addEventListener('submit', function (e) {
      e.preventDefault();
      var month = document.getElementById('r-month').value;
      reportBox.textContent = '';
      api('GET', '/v1/audit/report?month=' + encodeURIComponent(month)).then(function (r) {
        if (!r.ok) { setStatus(reportStatus, r.message, true); return; }
        var d = r.data || {};
        var depts = listOf(d, ['departments']);
        setStatus(reportStatus, depts.length ? [d.month, d.time_zone].filter(Boolean).join(' · ') : t('js_report_none'));
        if (!depts.length) { reportBox.append(el('div', { class: 'tree' }, renderValue(d))); return; }
        var cols = ['department', 'events', 'tool_calls', 'model_calls', 'tokens_in', 'tokens_out', 'denials', 'errors'];
        var tbl = el('table', { id: 'report-table' }, el('caption', { class: 'sr-only', text: month }));
        var head = el('tr');
        cols.forEach(function (c) { head.append(el('th', { scope: 'col', text: c.replace(/_/g, ' ') })); });
        tbl.append(el('thead', {}, head));
        var body = el('tbody');
        depts.concat(d.totals ? [Object.assign({}, d.totals, { department: t('js_total') })] : []).forEach(function (row) {
          var tr = el('tr');
          cols.forEach(function (c, i) {
            var v = row[c];
            tr.append(i === 0 ? el('th', { scope: 'row', text: v === undefined ? '' : String(v), title: row.name || null }) : el('td', { class: 'num', text: v === undefined ? '' : String(v) }));
          });
          body.append(tr);
        });
        tbl.append(body);
        reportBox.append(el('div', { class: 'table-wrap' }, tbl));
      });
    });
    reportForm.requestSubmit();
  }

  initChat();
  initTools();
  initDocuments();
  initDocumentView();
  initAudit();
})();
