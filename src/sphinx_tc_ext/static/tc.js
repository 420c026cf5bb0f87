/* sphinx-tc-ext reader UI: filter, search, sort, group and copy on paper tables.
 *
 * Progressive enhancement.  Without this file every card is shown, grouped, and
 * the server-rendered filter bar (filterbar.py) stays `hidden`; this script
 * un-hides it and wires its controls up.
 *
 * Filtering.  Within a facet the checked values combine with OR, across facets
 * (and the year range, venue type, code and search) with AND.  The count next to
 * a value is the number of papers that would be shown if that value were checked
 * alongside the other active filters, i.e. it ignores the value's own facet.
 * A paper shown in several groups (ids paper-KEY, paper-KEY-2 ...) counts once.
 *
 * Search.  Title, authors, venue and key; every word must match; case and
 * accents are ignored ("zoe" finds "Zoë").  Matches in titles, authors and
 * venues are wrapped in <mark class="tc-mark"> built with DOM calls.
 *
 * URL state.  The first table on a page that has a filter bar owns the query
 * string; other tables on the page filter independently and keep no URL state.
 *   ?area=video&area=image   facet values (parameter = taxonomy facet id; a
 *                            comma-separated list is accepted too)
 *   &q=token+pruning         search
 *   &year=2023-2025          year range (also 2024, 2023-, -2024)
 *   &kind=preprint           venue type: published or preprint
 *   &code=1                  only papers with code
 *   &sort=newest             newest, oldest, title or venue (default: as built)
 *   &group=flat              one flat list instead of groups
 * A discrete change (checkbox, select, button) pushes a history entry; typing in
 * the search box replaces the entry it started, so back/forward step through
 * filter states.  Unknown parameters are kept untouched; a bad value is ignored.
 *
 * Rendering.  Cards that do not match are taken out of the document (kept in
 * memory, put back in order when they match again) rather than merely hidden, and
 * at most 200 matching cards are in the document at a time, with a "Show all"
 * button after the table for the rest.  So a filter click or a keystroke costs
 * the same on a page of 5,000 papers as on one of 200: style, layout and even
 * history.pushState (which visits every link of the document) scale with the
 * number of elements in it.  Counts, "Copy keys" and "Download .bib" always cover
 * every match, and a link to a card past the limit (#paper-KEY) renders them all.
 * A site can change the limit with a script that runs before this one:
 * window.tcConfig = { renderLimit: 1000 }.
 *
 * Safety.  No innerHTML, no eval, no inline code, no request to anywhere:
 * bib text only ever reaches the page through textContent and text nodes.
 */
(function () {
  'use strict';

  const MARKS = /[\u0300-\u036f]/g;
  const EXTRA = /[ßæœøłđðþı]/g;
  const EXTRA_FOLD = { 'ß': 'ss', 'æ': 'ae', 'œ': 'oe', 'ø': 'o', 'ł': 'l', 'đ': 'd', 'ð': 'd', 'þ': 'th', 'ı': 'i' };
  const SORTS = ['', 'newest', 'oldest', 'title', 'venue'];
  const NARROW = '(max-width: 40em)';
  const RENDER_LIMIT = 200;
  // A crafted ?q= of thousands of words would cost (words x papers) at every refresh and highlight.
  const QUERY_MAX_LENGTH = 200;
  const QUERY_MAX_WORDS = 20;
  const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

  /** Lowercase, strip accents: the form both the index and the query take. */
  function fold(s) {
    return s.normalize('NFD').replace(MARKS, '').toLowerCase().replace(EXTRA, (c) => EXTRA_FOLD[c]);
  }

  /** fold() character by character, remembering where each folded unit came from. */
  function foldMap(s) {
    let text = '';
    const starts = [];
    const ends = [];
    let i = 0;
    for (const ch of s) {
      const f = fold(ch);
      const end = i + ch.length;
      if (f.length === 0) {
        if (ends.length) ends[ends.length - 1] = end; // a lone combining mark sticks to its letter
      } else {
        for (let k = 0; k < f.length; k++) { starts.push(i); ends.push(end); }
      }
      text += f;
      i = end;
    }
    return { text, starts, ends };
  }

  /** Merged [start, end, start, end ...] ranges of every occurrence of every word. */
  function findRanges(text, words) {
    const found = [];
    for (const w of words) {
      let at = text.indexOf(w);
      while (at !== -1) {
        found.push([at, at + w.length]);
        at = text.indexOf(w, at + 1);
      }
    }
    if (!found.length) return found;
    found.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    const out = [found[0][0], found[0][1]];
    for (let k = 1; k < found.length; k++) {
      const [a, b] = found[k];
      if (a <= out[out.length - 1]) out[out.length - 1] = Math.max(out[out.length - 1], b);
      else out.push(a, b);
    }
    return out;
  }

  /** The distinct words of a query, at most QUERY_MAX_WORDS of them from its first QUERY_MAX_LENGTH characters. */
  function words(query) {
    const distinct = new Set(fold(query.slice(0, QUERY_MAX_LENGTH)).split(/\s+/).filter(Boolean));
    return Array.from(distinct).slice(0, QUERY_MAX_WORDS);
  }

  function plural(n, one, many) {
    return `${n} ${n === 1 ? one : many}`;
  }

  function make(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  async function copyText(text) {
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        return true;
      }
    } catch (err) {
      // fall through to the legacy path (permission denied, insecure context ...)
    }
    const active = document.activeElement;
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.top = '0';
    area.style.opacity = '0';
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch (err) {
      ok = false;
    }
    area.remove();
    if (active && active.focus) active.focus();
    return ok;
  }

  /** Text nodes of a card that search results are highlighted in. */
  function collectSegments(card) {
    const segs = [];
    const roots = [card.querySelector('.tc-title'), card.querySelector('.tc-authors'), card.querySelector('.tc-venue'),
      card.querySelector('.tc-abstract > p')];
    for (const root of roots) {
      if (!root) continue;
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT, {
        acceptNode(node) {
          if (node.nodeType === 1) {
            return node.classList.contains('tc-permalink') || node.tagName === 'SUMMARY'
              ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_SKIP;
          }
          return node.data.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP;
        },
      });
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const more = node.parentNode.closest('.tc-more-authors, .tc-abstract'); // folded: opened on a match
        segs.push({ node, wrap: null, src: node.data, map: null, key: '', more });
      }
    }
    return segs;
  }

  /** Show `ranges` of a segment as <mark>s; no-op if they did not change. */
  function paintSegment(seg, ranges) {
    const key = ranges.join(',');
    if (key === seg.key) return;
    seg.key = key;
    if (!ranges.length) {
      if (seg.wrap) seg.wrap.textContent = seg.src;
      return;
    }
    if (!seg.wrap) {
      seg.wrap = make('span', 'tc-hl');
      seg.node.replaceWith(seg.wrap);
    }
    const { starts, ends } = seg.map;
    const src = seg.src;
    const frag = document.createDocumentFragment();
    let pos = 0;
    for (let k = 0; k < ranges.length; k += 2) {
      const a = starts[ranges[k]];
      const b = ends[ranges[k + 1] - 1];
      if (a > pos) frag.append(src.slice(pos, a));
      frag.append(make('mark', 'tc-mark', src.slice(a, b)));
      pos = b;
    }
    if (pos < src.length) frag.append(src.slice(pos));
    seg.wrap.replaceChildren(frag);
  }

  /** Title, nickname, authors (folded ones too) and venue of a card, as plain text. */
  function cardFields(card) {
    let title = '';
    let aka = '';
    const titleEl = card.querySelector('.tc-title');
    if (titleEl) {
      for (const node of titleEl.childNodes) {
        if (node.nodeType === 1 && node.classList.contains('tc-aka')) aka = node.textContent;
        else if (!(node.nodeType === 1 && node.classList.contains('tc-permalink'))) title += node.textContent;
      }
    }
    let authors = '';
    const authorsEl = card.querySelector('.tc-authors');
    if (authorsEl) {
      for (const node of authorsEl.childNodes) {
        if (node.nodeType === 1 && node.tagName === 'DETAILS') {
          for (const inner of node.childNodes) if (inner.nodeName !== 'SUMMARY') authors += ` ${inner.textContent}`;
        } else {
          authors += node.textContent;
        }
      }
    }
    const venueEl = card.querySelector('.tc-venue');
    const abstractEl = card.querySelector('.tc-abstract > p'); // issue 20: searched too
    return { title: title.trim(), aka, authors, venue: venueEl ? venueEl.textContent.trim() : '',
      abstract: abstractEl ? abstractEl.textContent : '' };
  }

  class PaperTable {
    constructor(root, ownsUrl) {
      const config = window.tcConfig || {};
      this.root = root;
      this.id = root.id || 'papers';
      this.ownsUrl = ownsUrl;
      this.limit = Number(config.renderLimit) > 0 ? Number(config.renderLimit) : RENDER_LIMIT;
      this.bar = root.querySelector(':scope > .tc-filterbar');
      this.form = this.bar ? this.bar.querySelector('form') : null;
      this.countEl = root.querySelector(':scope > .tc-count');
      this.grouped = Boolean((root.getAttribute('data-group-by') || '').trim());
      this.flat = false;
      this.sort = '';
      this.order = null;
      this.query = '';
      this.words = [];
      this.lastPushWasSearch = false;
      this.indexCards();
      this.bindCardButtons();
      if (!this.form) {
        for (const st of this.cards) this.prepareCard(st);
        return;
      }
      this.readControls();
      this.sections = Array.from(root.querySelectorAll('section.tc-group'), (el) => {
        const cards = Array.from(el.querySelectorAll('article.tc-card'), (card) => this.stateOf.get(card));
        const papers = [...new Set(cards.map((st) => st.paper))];
        return {
          el, cards, papers, matched: -1, rendered: true,
          countEl: el.querySelector(':scope > .tc-group-title .tc-group-count'),
        };
      });
      this.live = make('p', 'tc-sr-only');
      this.live.setAttribute('role', 'status');
      this.live.setAttribute('aria-live', 'polite');
      root.insertBefore(this.live, this.countEl ? this.countEl.nextSibling : this.bar.nextSibling);
      this.moreEl = make('p', 'tc-more');
      this.moreEl.hidden = true;
      this.moreText = make('span', 'tc-more-text');
      this.moreButton = make('button', 'tc-button tc-show-all', 'Show all');
      this.moreButton.type = 'button';
      this.moreEl.append(this.moreText, ' ', this.moreButton);
      root.append(this.moreEl);
      this.bind();
      if (this.ownsUrl) this.fromUrl();
      this.applyView();
      this.refresh();
      this.revealHash();
      if (this.panel && window.matchMedia && window.matchMedia(NARROW).matches && !this.activeFilterCount()) {
        this.panel.open = false;
      }
      this.bar.hidden = false;
      root.classList.add('tc-enhanced');
    }

    // -- the data ------------------------------------------------------------------------

    indexCards() {
      this.papers = [];
      this.stateOf = new Map();
      this.byId = new Map();
      const byKey = new Map();
      this.cards = Array.from(this.root.querySelectorAll('article.tc-card'), (card) => {
        const key = card.getAttribute('data-key') || card.id;
        let paper = byKey.get(key);
        if (!paper) {
          const f = cardFields(card);
          paper = {
            key,
            i: this.papers.length,
            cards: [],
            primary: card,
            vals: null,
            year: Number(card.getAttribute('data-year')) || 0,
            month: Number(card.getAttribute('data-month')) || 0,
            title: f.title,
            venue: f.venue,
            text: fold(`${f.title}\n${f.aka}\n${f.authors}\n${f.venue}\n${key}\n${f.abstract}`),
            visible: true,
          };
          byKey.set(key, paper);
          this.papers.push(paper);
        }
        paper.cards.push(card);
        // Per card: is it in the document, its highlight state, and whether it has its buttons yet.
        const st = { card, paper, shown: true, segs: null, query: '', opened: null, ready: false };
        this.stateOf.set(card, st);
        this.byId.set(card.id, st);
        return st;
      });
      // Each grid lists its cards in display order (`order`); its children are always a
      // subsequence of that list, which is what lets paintCards() put cards back in place.
      this.grids = Array.from(this.root.querySelectorAll('.tc-cards'), (el) => {
        for (const node of Array.from(el.childNodes)) if (node.nodeType !== 1) node.remove();
        const cards = Array.from(el.querySelectorAll(':scope > article.tc-card'), (card) => this.stateOf.get(card));
        return { el, cards, order: cards };
      });
    }

    /** Give a card its copy buttons the first time it is rendered. */
    prepareCard(st) {
      st.ready = true;
      const card = st.card;
      let row = card.querySelector(':scope > .tc-links');
      if (!row) {
        row = make('p', 'tc-links');
        card.insertBefore(row, card.querySelector(':scope > .tc-bibtex'));
      }
      if (card.querySelector(':scope > .tc-bibtex pre')) {
        const button = make('button', 'tc-button tc-copy tc-copy-bibtex', 'Copy BibTeX');
        button.type = 'button';
        row.append(button);
      }
      const button = make('button', 'tc-button tc-copy tc-copy-key', 'Copy key');
      button.type = 'button';
      row.append(button);
    }

    bindCardButtons() {
      this.root.addEventListener('click', (event) => {
        const button = event.target.closest('.tc-copy');
        if (!button || !this.root.contains(button)) return;
        const st = this.stateOf.get(button.closest('.tc-card'));
        if (!st) return;
        if (button.classList.contains('tc-copy-bibtex')) {
          const pre = st.card.querySelector('.tc-bibtex pre');
          this.copy(button, `${pre.textContent.trim()}\n`, `BibTeX of ${st.paper.key}`);
        } else {
          this.copy(button, st.paper.key, `key ${st.paper.key}`);
        }
      });
    }

    async copy(button, text, what) {
      const ok = await copyText(text);
      const label = button.getAttribute('data-label') || button.textContent;
      button.setAttribute('data-label', label);
      button.textContent = ok ? 'Copied ✓' : 'Copy failed';
      button.classList.toggle('tc-copied', ok);
      this.say(ok ? `Copied ${what} to the clipboard.` : `Could not copy ${what}; select the text and copy it by hand.`);
      clearTimeout(button.tcTimer);
      button.tcTimer = setTimeout(() => {
        button.textContent = label;
        button.classList.remove('tc-copied');
      }, 2000);
    }

    say(message) {
      if (!this.live) return;
      // The same text twice is not announced again: clear first.
      this.live.textContent = '';
      setTimeout(() => { this.live.textContent = message; }, 50);
    }

    // -- the controls -------------------------------------------------------------------------

    readControls() {
      const form = this.form;
      this.search = form.querySelector('input[name="q"]');
      if (this.search) this.search.maxLength = QUERY_MAX_LENGTH;
      this.panel = form.querySelector('.tc-filter-panel');
      this.activeCountEl = form.querySelector('.tc-active-count');
      this.sortEl = form.querySelector('select[name="sort"]');
      this.groupEl = form.querySelector('input[name="group"]');
      if (this.groupEl && !this.grouped) {
        this.groupEl.closest('.tc-group-switch').remove();
        this.groupEl = null;
      }
      this.yearFrom = form.querySelector('select[name="year-from"]');
      this.yearTo = form.querySelector('select[name="year-to"]');
      this.years = this.yearFrom ? Array.from(this.yearFrom.options, (o) => Number(o.value)) : [];
      this.downloadEl = form.querySelector('.tc-download');
      // One "dimension" per checkbox group: taxonomy facets, venue type and code.
      this.dims = [];
      for (const fieldset of form.querySelectorAll('fieldset.tc-facet[data-facet]')) {
        const name = fieldset.getAttribute('data-facet');
        if (name === 'year') continue;
        const inputs = Array.from(fieldset.querySelectorAll('input[type="checkbox"]'));
        this.dims.push({
          name,
          slot: this.dims.length,
          inputs,
          values: inputs.map((input) => input.value),
          options: inputs.map((input) => input.closest('.tc-option')),
          countEls: inputs.map((input) => input.closest('.tc-option').querySelector('.tc-option-count')),
          shownCounts: inputs.map(() => -1),
          counts: new Int32Array(inputs.length),
          sel: new Uint8Array(inputs.length),
          active: false,
        });
      }
      for (const paper of this.papers) {
        paper.vals = this.dims.map((dim) => {
          let raw;
          if (dim.name === 'kind') raw = [paper.primary.getAttribute('data-kind') || ''];
          else if (dim.name === 'code') raw = paper.primary.getAttribute('data-code') === '1' ? ['1'] : [];
          else raw = (paper.primary.getAttribute(`data-${dim.name}`) || '').split(/\s+/);
          const out = [];
          for (const v of raw) {
            const at = dim.values.indexOf(v);
            if (at !== -1) out.push(at);
          }
          return out;
        });
      }
      this.paramNames = new Set(this.dims.map((d) => d.name));
      if (this.search) this.paramNames.add('q');
      if (this.yearFrom) this.paramNames.add('year');
      if (this.sortEl) this.paramNames.add('sort');
      if (this.groupEl) this.paramNames.add('group');
    }

    bind() {
      this.form.addEventListener('submit', (event) => event.preventDefault());
      this.form.addEventListener('change', (event) => {
        const target = event.target;
        if (target === this.search) return;
        if (target === this.yearFrom || target === this.yearTo) this.fixYears(target);
        if (target === this.sortEl || target === this.groupEl) this.applyView();
        this.refresh();
        this.toUrl(false);
      });
      if (this.search) {
        this.search.addEventListener('input', () => {
          this.refresh();
          this.toUrl(true);
        });
        this.search.addEventListener('keydown', (event) => {
          if (event.key === 'Escape' && this.search.value) {
            event.preventDefault();
            this.search.value = '';
            this.refresh();
            this.toUrl(true);
          }
        });
      }
      this.form.querySelector('.tc-clear').addEventListener('click', () => {
        this.clear();
        this.refresh();
        this.toUrl(false);
        this.say('All filters cleared.');
      });
      if (this.downloadEl) this.downloadEl.addEventListener('click', () => this.download());
      const keys = this.form.querySelector('.tc-copy-keys');
      keys.addEventListener('click', () => {
        const list = this.matchedPapers().map((p) => p.key);
        this.copy(keys, list.join(','), plural(list.length, 'key', 'keys'));
      });
      this.moreButton.addEventListener('click', () => {
        const first = this.order.find((st) => st.paper.visible && !st.shown);
        this.limit = Infinity;
        this.refresh();
        const link = first && first.card.querySelector('.tc-title a, .tc-copy');
        if (link) link.focus();
      });
      window.addEventListener('hashchange', () => this.revealHash());
      if (this.ownsUrl) {
        window.addEventListener('popstate', () => {
          this.fromUrl();
          this.applyView();
          this.refresh();
          this.lastPushWasSearch = false;
        });
      }
    }

    /** A link to a card that matches but is past the render limit: render everything. */
    revealHash() {
      let id = '';
      try {
        id = decodeURIComponent(window.location.hash.slice(1));
      } catch (err) {
        return; // a malformed fragment
      }
      const st = id ? this.byId.get(id) : null;
      if (st && !st.shown && st.paper.visible && this.limit !== Infinity) {
        this.limit = Infinity;
        this.refresh();
        st.card.scrollIntoView();
      }
    }

    fixYears(changed) {
      if (!this.yearFrom) return;
      if (Number(this.yearFrom.value) > Number(this.yearTo.value)) {
        if (changed === this.yearFrom) this.yearTo.value = this.yearFrom.value;
        else this.yearFrom.value = this.yearTo.value;
      }
    }

    clear() {
      for (const dim of this.dims) for (const input of dim.inputs) input.checked = false;
      if (this.yearFrom) {
        this.yearFrom.value = String(this.years[0]);
        this.yearTo.value = String(this.years[this.years.length - 1]);
      }
      if (this.search) this.search.value = '';
    }

    yearRange() {
      if (!this.yearFrom) return null;
      const from = Number(this.yearFrom.value);
      const to = Number(this.yearTo.value);
      if (from <= this.years[0] && to >= this.years[this.years.length - 1]) return null;
      return [from, to];
    }

    activeFilterCount() {
      let n = this.yearRange() ? 1 : 0;
      for (const dim of this.dims) for (const input of dim.inputs) if (input.checked) n++;
      return n;
    }

    // -- filtering ------------------------------------------------------------------------

    refresh() {
      const dims = this.dims;
      for (const dim of dims) {
        dim.active = false;
        for (let k = 0; k < dim.inputs.length; k++) {
          dim.sel[k] = dim.inputs[k].checked ? 1 : 0;
          if (dim.sel[k]) dim.active = true;
        }
        dim.counts.fill(0);
      }
      const active = dims.filter((d) => d.active);
      const years = this.yearRange();
      const ws = words(this.search ? this.search.value : '');
      this.words = ws;
      this.query = ws.join(' ');
      let matched = 0;
      for (const p of this.papers) {
        // A paper fails no dimension (it matches), exactly one (it counts for that one) or more.
        let fails = 0;
        let failed = null;
        if (years && (p.year < years[0] || p.year > years[1])) fails = 2;
        if (fails < 2 && ws.length) {
          const text = p.text;
          for (let w = 0; w < ws.length; w++) {
            if (text.indexOf(ws[w]) === -1) { fails = 2; break; }
          }
        }
        for (let d = 0; d < active.length && fails < 2; d++) {
          const dim = active[d];
          const vs = p.vals[dim.slot];
          let hit = false;
          for (let k = 0; k < vs.length; k++) if (dim.sel[vs[k]]) { hit = true; break; }
          if (!hit) { fails++; failed = dim; }
        }
        p.visible = fails === 0;
        if (p.visible) {
          matched++;
          for (let d = 0; d < dims.length; d++) {
            const vs = p.vals[d];
            const counts = dims[d].counts;
            for (let k = 0; k < vs.length; k++) counts[vs[k]]++;
          }
        } else if (fails === 1 && failed) {
          const vs = p.vals[failed.slot];
          for (let k = 0; k < vs.length; k++) failed.counts[vs[k]]++;
        }
      }
      this.matched = matched;
      const rendered = this.paintCards();
      this.paintCounts(dims);
      this.paintSections();
      this.paintTotal(matched, rendered, active.length > 0 || years !== null || ws.length > 0);
    }

    /** Put the matching cards in the document, in display order, up to the render limit; highlight them. */
    paintCards() {
      const limit = this.limit;
      const query = this.query;
      let rendered = 0;
      for (const grid of this.flat ? [this.flatGrid] : this.grids) {
        const el = grid.el;
        let cur = el.firstChild;
        for (const st of grid.order) {
          const card = st.card;
          if (st.paper.visible && rendered < limit) {
            rendered++;
            if (card === cur) cur = cur.nextSibling;
            else el.insertBefore(card, cur);
            st.shown = true;
            if (!st.ready) this.prepareCard(st);
            if (st.query !== query) this.highlight(st);
          } else {
            if (card.parentNode === el) {
              if (card === cur) cur = cur.nextSibling;
              card.remove();
            }
            st.shown = false;
          }
        }
      }
      return rendered;
    }

    highlight(st) {
      const ws = this.words;
      st.query = this.query;
      if (!st.segs) {
        if (!ws.length) return; // never highlighted, nothing to clear
        st.segs = collectSegments(st.card);
      }
      let inMore = null;
      for (const seg of st.segs) {
        let ranges = [];
        if (ws.length) {
          if (!seg.map) seg.map = foldMap(seg.src);
          ranges = findRanges(seg.map.text, ws);
        }
        paintSegment(seg, ranges);
        if (ranges.length && seg.more) inMore = seg.more;
      }
      // A match among the authors folded under "and N more", or in the abstract: unfold it while it lasts.
      if (inMore && !inMore.open) {
        inMore.open = true;
        st.opened = inMore;
      } else if (!inMore && st.opened) {
        st.opened.open = false;
        st.opened = null;
      }
    }

    paintCounts(dims) {
      for (const dim of dims) {
        for (let k = 0; k < dim.values.length; k++) {
          const n = dim.counts[k];
          if (n !== dim.shownCounts[k]) {
            if ((n === 0) !== (dim.shownCounts[k] === 0)) dim.options[k].classList.toggle('tc-zero', n === 0);
            dim.shownCounts[k] = n;
            dim.countEls[k].textContent = String(n);
          }
        }
      }
      if (this.activeCountEl) {
        const n = this.activeFilterCount();
        const text = n ? ` (${n} active)` : '';
        if (this.activeCountEl.textContent !== text) this.activeCountEl.textContent = text;
      }
    }

    paintSections() {
      if (this.flat) return; // hidden as a whole (.tc-is-flat)
      for (const section of this.sections) {
        let n = 0;
        for (const p of section.papers) if (p.visible) n++;
        if (n !== section.matched) {
          section.matched = n;
          if (section.countEl) section.countEl.textContent = `(${n})`;
        }
        // Hidden when none of its cards is rendered (no match, or all past the render limit).
        let rendered = false;
        for (const st of section.cards) if (st.shown) { rendered = true; break; }
        if (rendered !== section.rendered) {
          section.rendered = rendered;
          section.el.hidden = !rendered;
        }
      }
    }

    paintTotal(matched, rendered, filtered) {
      const total = this.papers.length;
      if (this.countEl) {
        let text = plural(total, 'paper', 'papers');
        if (filtered) {
          text = matched ? `${matched} of ${plural(total, 'paper', 'papers')} shown`
            : `No paper matches these filters (0 of ${total}).`;
        }
        if (this.countEl.textContent !== text) this.countEl.textContent = text;
      }
      const cut = this.order.reduce((n, st) => n + (st.paper.visible && !st.shown ? 1 : 0), 0);
      this.moreEl.hidden = cut === 0;
      if (cut) {
        this.moreText.textContent = `The first ${rendered} cards are listed; ${cut} more match.`;
        this.moreButton.textContent = `Show all ${rendered + cut}`;
      }
    }

    /** Papers matching the filters, in display order, each once. */
    matchedPapers() {
      const seen = new Set();
      const out = [];
      for (const st of this.order) {
        const p = st.paper;
        if (p.visible && !seen.has(p)) {
          seen.add(p);
          out.push(p);
        }
      }
      return out;
    }

    download() {
      const parts = [];
      for (const p of this.matchedPapers()) {
        const pre = p.primary.querySelector('.tc-bibtex pre');
        if (pre) parts.push(pre.textContent.trim());
      }
      const blob = new Blob([`${parts.join('\n\n')}\n`], { type: 'application/x-bibtex;charset=utf-8' });
      const url = URL.createObjectURL(blob);
      const link = make('a');
      link.href = url;
      link.download = `${this.id}.bib`;
      link.hidden = true;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      this.say(`Downloading ${plural(parts.length, 'BibTeX entry', 'BibTeX entries')} as ${this.id}.bib.`);
    }

    // -- sorting and grouping ---------------------------------------------------------------

    /** Choose order and grouping: every grid's `order`, and `this.order`, all cards as displayed. */
    applyView() {
      const sort = this.sortEl ? this.sortEl.value : '';
      const flat = this.groupEl ? !this.groupEl.checked : false;
      if (sort === this.sort && flat === this.flat && this.order) return;
      // The page as built is in the default order, grouped: only another view needs a reorder.
      const reorder = this.order ? true : sort !== '' || flat;
      this.sort = sort;
      if (flat !== this.flat) {
        this.flat = flat;
        this.root.classList.toggle('tc-is-flat', flat);
        if (flat && !this.flatGrid) {
          const el = make('div', 'tc-cards tc-flat');
          this.root.insertBefore(el, this.live.nextSibling);
          this.flatGrid = { el, cards: [], order: [] };
        }
        if (this.flatGrid) this.flatGrid.el.hidden = !flat;
      }
      if (reorder) {
        // Take every card out; paintCards() puts the matching ones back in the new order.
        for (const grid of this.flatGrid ? [...this.grids, this.flatGrid] : this.grids) grid.el.replaceChildren();
        for (const st of this.cards) st.shown = false;
      }
      const cmp = this.comparator();
      if (this.flat) {
        const papers = cmp ? this.papers.slice().sort(cmp) : this.listedOrder();
        this.flatGrid.order = papers.map((p) => this.stateOf.get(p.primary));
        this.order = this.flatGrid.order;
      } else {
        this.order = [];
        for (const grid of this.grids) {
          grid.order = cmp ? grid.cards.slice().sort((a, b) => cmp(a.paper, b.paper)) : grid.cards;
          for (const st of grid.order) this.order.push(st);
        }
      }
    }

    comparator() {
      const byTitle = (a, b) => collator.compare(a.title, b.title);
      const newest = (a, b) => b.year - a.year || b.month - a.month || byTitle(a, b);
      switch (this.sort) {
        case 'newest': return newest;
        case 'oldest': return (a, b) => a.year - b.year || a.month - b.month || byTitle(a, b);
        case 'title': return (a, b) => byTitle(a, b) || newest(a, b);
        case 'venue': return (a, b) => collator.compare(a.venue, b.venue) || newest(a, b);
        default: return null;
      }
    }

    /** The order the table was built in: every group lists its papers in that order, so merge them. */
    listedOrder() {
      if (this.listed) return this.listed;
      const n = this.papers.length;
      const next = Array.from({ length: n }, () => []);
      const indegree = new Int32Array(n);
      for (const grid of this.grids) {
        let prev = null;
        for (const st of grid.cards) {
          const p = st.paper;
          if (prev && prev !== p) {
            next[prev.i].push(p.i);
            indegree[p.i]++;
          }
          prev = p;
        }
      }
      const queue = [];
      for (let i = 0; i < n; i++) if (!indegree[i]) queue.push(i);
      const done = new Uint8Array(n);
      const out = [];
      for (let q = 0; q < queue.length; q++) {
        const i = queue[q];
        done[i] = 1;
        out.push(this.papers[i]);
        for (const j of next[i]) if (--indegree[j] === 0) queue.push(j);
      }
      for (let i = 0; i < n; i++) if (!done[i]) out.push(this.papers[i]); // inconsistent orders: keep the rest
      this.listed = out;
      return out;
    }

    // -- the URL ----------------------------------------------------------------------------------

    fromUrl() {
      const params = new URLSearchParams(window.location.search);
      const listOf = (name) => params.getAll(name).join(',').split(',').map((s) => s.trim()).filter(Boolean);
      for (const dim of this.dims) {
        const wanted = new Set(listOf(dim.name));
        for (const input of dim.inputs) input.checked = wanted.has(input.value);
      }
      if (this.yearFrom) {
        const first = this.years[0];
        const last = this.years[this.years.length - 1];
        let from = first;
        let to = last;
        const m = /^\s*(\d{4})?\s*(-)?\s*(\d{4})?\s*$/.exec(params.get('year') || '');
        if (m && (m[1] || m[3])) {
          const lo = m[1] ? Number(m[1]) : -Infinity;
          const hi = m[3] ? Number(m[3]) : (m[2] ? Infinity : lo);
          const inside = this.years.filter((y) => y >= lo && y <= hi);
          if (inside.length) {
            from = inside[0];
            to = inside[inside.length - 1];
          }
        }
        this.yearFrom.value = String(from);
        this.yearTo.value = String(to);
      }
      if (this.search) this.search.value = (params.get('q') || '').slice(0, QUERY_MAX_LENGTH);
      if (this.sortEl) {
        const sort = params.get('sort') || '';
        this.sortEl.value = SORTS.includes(sort) ? sort : '';
      }
      if (this.groupEl) this.groupEl.checked = params.get('group') !== 'flat';
    }

    toUrl(fromSearch) {
      if (!this.ownsUrl) return;
      const params = new URLSearchParams(window.location.search);
      for (const name of this.paramNames) params.delete(name);
      for (const dim of this.dims) {
        for (const input of dim.inputs) if (input.checked) params.append(dim.name, input.value);
      }
      const years = this.yearRange();
      if (years) params.set('year', years[0] === years[1] ? String(years[0]) : `${years[0]}-${years[1]}`);
      const q = this.search ? this.search.value.trim() : '';
      if (q) params.set('q', q);
      if (this.sort) params.set('sort', this.sort);
      if (this.flat) params.set('group', 'flat');
      const qs = params.toString();
      const url = window.location.pathname + (qs ? `?${qs}` : '') + window.location.hash;
      const here = window.location.pathname + window.location.search + window.location.hash;
      if (url === here) return;
      if (fromSearch && this.lastPushWasSearch) {
        window.history.replaceState(window.history.state, '', url);
      } else {
        window.history.pushState(null, '', url);
      }
      this.lastPushWasSearch = fromSearch;
    }
  }

  /** "Cite this" blocks (the tc-bibtex directive): a copy button with a visible, announced result. */
  function initCiteBlocks() {
    for (const block of document.querySelectorAll('.tc-cite-block')) {
      const pre = block.querySelector('pre');
      if (!pre || block.querySelector('.tc-copy')) continue;
      const button = make('button', 'tc-button tc-copy tc-copy-cite', 'Copy BibTeX');
      button.type = 'button';
      const status = make('span', 'tc-copy-status');
      status.setAttribute('role', 'status');
      status.setAttribute('aria-live', 'polite');
      button.addEventListener('click', async () => {
        const ok = await copyText(`${pre.textContent.trim()}\n`);
        button.textContent = ok ? 'Copied ✓' : 'Copy failed';
        status.textContent = ok ? 'BibTeX copied to the clipboard.' : 'Select the text and copy it by hand.';
        setTimeout(() => { button.textContent = 'Copy BibTeX'; }, 2000);
      });
      block.before(button, status);
    }
  }

  function init() {
    initCiteBlocks();
    let owner = true;
    for (const root of document.querySelectorAll('.tc-paper-table')) {
      const hasBar = Boolean(root.querySelector(':scope > .tc-filterbar form'));
      const table = new PaperTable(root, owner && hasBar);
      if (hasBar) owner = false;
      root.tcTable = table;
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
}());
