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
 * Groups.  A paper sits in every group of each value it has (its first card is
 * the full one, the others are short `tc-repeat` cards that link to it), so a
 * group heading counts what the filter bar counts for its value.  When values of
 * the grouped facet are checked, only their groups are shown: with "Video" on,
 * no video paper sits under an "Image" heading that would count image papers.
 *
 * Search.  Title, nickname, authors, venue, key and arXiv id; every word must
 * match; case, accents and dash forms are ignored ("zoe" finds "Zoë", "Q-VLM"
 * finds "Q‑VLM" with a non-breaking hyphen).  A query that is exactly a paper's
 * nickname puts that paper's card first.  Matches in titles, authors and
 * venues are wrapped in <mark class="tc-mark"> built with DOM calls.
 *
 * Exports.  "Download .bib" joins the matching cards' BibTeX; "RIS" and
 * "CSL-JSON" are made from each card's COinS span (the metadata Zotero reads),
 * so every format describes the same papers in the same order.
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
 *   &view=table, &tsort=..., &pick=k1,k2   the table view (see TableView)
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
 * "New" marks.  Cards added since the reader's last visit (their data-added date
 * is after the newest one the reader had seen) carry a "New" mark; "Mark as
 * seen" clears them in one click.  Two dates in localStorage, nothing else: no
 * cookie, no request.  A visit starts with a browser tab's first page of the site
 * (sessionStorage), so reloading or moving between pages keeps the marks.
 *
 * Safety.  No innerHTML, no eval, no inline code, no request to anywhere:
 * bib text only ever reaches the page through textContent and text nodes.
 */
(function () {
  'use strict';

  const MARKS = /[\u0300-\u036f]/g;
  const EXTRA = /[ßæœøłđðþı]/g;
  const EXTRA_FOLD = { 'ß': 'ss', 'æ': 'ae', 'œ': 'oe', 'ø': 'o', 'ł': 'l', 'đ': 'd', 'ð': 'd', 'þ': 'th', 'ı': 'i' };
  // Hyphens and dashes (U+2010 hyphen, U+2011 non-breaking hyphen, figure/en/em dashes, minus) read as "-";
  // a soft hyphen is dropped.
  const DASHES = /[\u2010-\u2015\u2212\ufe63\uff0d]/g;
  const SOFT_HYPHEN = /\u00ad/g;
  const SORTS = ['', 'newest', 'oldest', 'title', 'venue'];
  const NARROW = '(max-width: 40em)';
  const RENDER_LIMIT = 200;
  // A crafted ?q= of thousands of words would cost (words x papers) at every refresh and highlight.
  const QUERY_MAX_LENGTH = 200;
  const QUERY_MAX_WORDS = 20;
  const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

  /** Lowercase, strip accents: the form both the index and the query take. */
  function fold(s) {
    return s.normalize('NFD').replace(MARKS, '').toLowerCase().replace(EXTRA, (c) => EXTRA_FOLD[c])
      .replace(DASHES, '-').replace(SOFT_HYPHEN, '');
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
    const arxiv = coinsOf(card).getAll('rft_id').map(arxivIdOf).join(' ');
    const abstractEl = card.querySelector('.tc-abstract > p'); // issue 20: searched too
    return { title: title.trim(), aka, authors, venue: venueEl ? venueEl.textContent.trim() : '', arxiv,
      abstract: abstractEl ? abstractEl.textContent : '' };
  }

  // -- COinS: each card's metadata, read for search (arXiv id) and for the RIS and CSL-JSON exports --

  /** The OpenURL pairs of a card's COinS span (empty when it has none). */
  function coinsOf(card) {
    const span = card.querySelector(':scope > .Z3988');
    return new URLSearchParams(span ? span.getAttribute('title') || '' : '');
  }

  /** The arXiv id an OpenURL identifier names: info:arxiv/ID, or an arxiv.org/abs/ link ("" otherwise). */
  function arxivIdOf(id) {
    const m = /^(?:info:arxiv\/|https?:\/\/(?:www\.)?arxiv\.org\/abs\/)(.+)$/.exec(id);
    return m ? m[1] : '';
  }

  /** The CSL type a COinS genre stands for (the reverse of core/export.py's COINS_FORMATS). */
  const CSL_TYPES = {
    article: 'article-journal', proceeding: 'paper-conference', preprint: 'article', book: 'book',
    bookitem: 'chapter', document: 'thesis', report: 'report',
  };

  /** One CSL-JSON item from a card's COinS pairs and its key. */
  function cslItem(key, kev) {
    const item = { id: key, type: CSL_TYPES[kev.get('rft.genre')] || 'article' };
    const title = kev.get('rft.atitle') || (kev.get('rft.genre') === 'book' ? kev.get('rft.btitle') : null);
    if (title) item.title = title;
    const authors = kev.getAll('rft.au').map((au) => {
      const at = au.indexOf(', ');
      return at === -1 ? { literal: au } : { family: au.slice(0, at), given: au.slice(at + 2) };
    });
    if (authors.length) item.author = authors;
    const date = kev.get('rft.date');
    if (date) item.issued = { 'date-parts': [date.split('-').map(Number)] };
    const container = kev.get('rft.jtitle') || (kev.get('rft.genre') === 'book' ? null : kev.get('rft.btitle'));
    if (container) item['container-title'] = container;
    for (const [k, name] of [['rft.volume', 'volume'], ['rft.issue', 'issue'], ['rft.pages', 'page'],
      ['rft.pub', 'publisher']]) {
      if (kev.get(k)) item[name] = kev.get(k);
    }
    for (const id of kev.getAll('rft_id')) {
      if (id.startsWith('info:doi/')) item.DOI = id.slice(9);
      else if (/^https?:\/\//.test(id)) item.URL = id;
    }
    // As core/export.py's csl_item: a preprint's number is its arXiv id.
    const arxiv = kev.getAll('rft_id').map(arxivIdOf).find(Boolean);
    if (arxiv && item.type === 'article') item.number = `arXiv:${arxiv}`;
    return item;
  }

  /** RIS reference types of the CSL types above. */
  const RIS_TYPES = {
    'article-journal': 'JOUR', 'paper-conference': 'CPAPER', article: 'UNPB', book: 'BOOK', chapter: 'CHAP',
    thesis: 'THES', report: 'RPRT',
  };

  /** One RIS record (lines ending with CRLF, as the format asks) from a CSL item. */
  function risRecord(item) {
    const lines = [`TY  - ${RIS_TYPES[item.type] || 'GEN'}`, `ID  - ${item.id}`];
    const add = (tag, value) => { if (value) lines.push(`${tag}  - ${String(value).replace(/[\r\n]+/g, ' ')}`); };
    add('TI', item.title);
    for (const a of item.author || []) add('AU', a.literal || (a.given ? `${a.family}, ${a.given}` : a.family));
    const parts = item.issued ? item.issued['date-parts'][0] : [];
    add('PY', parts[0]);
    if (parts.length > 1) add('DA', `${parts[0]}/${String(parts[1]).padStart(2, '0')}`);
    add(item.type === 'paper-conference' ? 'T2' : 'JO', item['container-title']);
    add('VL', item.volume);
    add('IS', item.issue);
    add('SP', item.page);
    add('PB', item.publisher);
    add('DO', item.DOI);
    add('UR', item.URL);
    if (item.number) add('M1', item.number);
    lines.push('ER  - ');
    return lines.join('\r\n');
  }

  /** Offer `text` as a file download (a blob URL: nothing leaves the page). */
  function saveFile(text, name, type) {
    const blob = new Blob([text], { type });
    const url = URL.createObjectURL(blob);
    const link = make('a');
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
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
          facet: el.getAttribute('data-facet'), value: el.getAttribute('data-value'), excluded: false,
        };
      });
      this.indexGroupFilters();
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
            text: fold(`${f.title}\n${f.aka}\n${f.authors}\n${f.venue}\n${key}\n${f.arxiv}\n${f.abstract}`),
            aka: fold(f.aka).trim(),
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

    /** Give a card its copy buttons the first time it is rendered (a repeat links to the full card instead). */
    prepareCard(st) {
      st.ready = true;
      const card = st.card;
      if (card.classList.contains('tc-repeat')) return;
      if (this.onPrepare) this.onPrepare(st); // the table view's "Pick" button
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
      this.bindExports();
      const keys = this.form.querySelector('.tc-copy-keys');
      keys.addEventListener('click', () => {
        const list = this.shownPapers().map((p) => p.key);
        this.copy(keys, list.join(','), plural(list.length, 'key', 'keys'));
      });
      this.moreButton.addEventListener('click', () => {
        const first = this.order.find((st) => st.paper.visible && !st.shown && !st.excluded);
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
      if (!st) {
        this.revealHeading(id);
        return;
      }
      if (st.shown || !st.paper.visible) return;
      // Past the render limit, or in a group hidden by the filter: show the paper's first shown card.
      const shownCard = () => st.paper.cards.map((card) => this.stateOf.get(card)).find((other) => other.shown);
      if (!shownCard() && this.limit !== Infinity) {
        this.limit = Infinity;
        this.refresh();
      }
      const target = st.shown ? st : shownCard();
      if (target) target.card.scrollIntoView();
    }

    /** A link to a group heading whose cards are past the render limit: render everything. */
    revealHeading(id) {
      const heading = id ? document.getElementById(id) : null;
      const section = heading && this.root.contains(heading) ? heading.closest('section.tc-group') : null;
      if (!section || !section.hidden || this.limit === Infinity) return;
      this.limit = Infinity;
      this.refresh();
      if (!section.hidden) heading.scrollIntoView();
    }

    // -- groups that follow the filter ---------------------------------------------------------

    /** Each section's filter dimension (when its facet has one) and each card's enclosing sections. */
    indexGroupFilters() {
      const dimOf = new Map(this.dims.map((dim) => [dim.name, dim]));
      for (const section of this.sections) {
        section.dim = dimOf.get(section.facet) || null;
        section.at = section.dim ? section.dim.values.indexOf(section.value) : -1;
      }
      const sectionOf = new Map(this.sections.map((section) => [section.el, section]));
      for (const st of this.cards) {
        st.sections = [];
        for (let el = st.card.parentNode; el && el !== this.root; el = el.parentNode) {
          const section = sectionOf.get(el);
          if (section && section.dim) st.sections.push(section);
        }
        st.excluded = false;
      }
    }

    /** Groups of unchecked values of a filtered facet are left out, with their cards. */
    excludeGroups() {
      for (const section of this.sections) {
        const dim = section.dim;
        section.excluded = Boolean(dim && dim.active && !this.flat && !(section.at >= 0 && dim.sel[section.at]));
      }
      for (const st of this.cards) {
        let excluded = false;
        for (const section of st.sections) if (section.excluded) { excluded = true; break; }
        st.excluded = excluded;
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
      this.excludeGroups();
      const rendered = this.paintCards();
      this.paintCounts(dims);
      this.paintSections();
      this.paintTotal(matched, rendered, active.length > 0 || years !== null || ws.length > 0);
      if (this.afterRefresh) this.afterRefresh(); // the table view
    }

    /** Put the matching cards in the document, in display order, up to the render limit; highlight them. */
    paintCards() {
      const limit = this.limit;
      const query = this.query;
      let rendered = 0;
      for (const grid of this.flat ? [this.flatGrid] : this.grids) {
        const el = grid.el;
        let cur = el.firstChild;
        for (const st of this.ranked(grid.order)) {
          const card = st.card;
          if (st.paper.visible && !st.excluded && rendered < limit) {
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
        // Hidden when none of its cards is rendered (no match, a value not checked, or all past the render limit).
        let rendered = false;
        if (!section.excluded) for (const st of section.cards) if (st.shown) { rendered = true; break; }
        if (rendered !== section.rendered) {
          section.rendered = rendered;
          section.el.hidden = !rendered;
        }
      }
    }

    paintTotal(matched, rendered, filtered) {
      this.counted = { matched, filtered };
      this.paintCount();
      const cut = this.order.reduce((n, st) => n + (st.paper.visible && !st.shown && !st.excluded ? 1 : 0), 0);
      this.moreEl.hidden = cut === 0;
      if (cut) {
        this.moreText.textContent = `The first ${rendered} cards are listed; ${cut} more match.`;
        this.moreButton.textContent = `Show all ${rendered + cut}`;
      }
    }

    /** The line above the cards: how many papers the filters (or the picks being compared) show. */
    paintCount() {
      if (!this.countEl || !this.counted) return;
      const { matched, filtered } = this.counted;
      const total = this.papers.length;
      const view = this.tableView;
      let text = plural(total, 'paper', 'papers');
      if (view && view.onlyPicks) {
        text = `${view.picks.size} picked of ${plural(total, 'paper', 'papers')} shown`;
      } else if (filtered) {
        text = matched ? `${matched} of ${plural(total, 'paper', 'papers')} shown`
          : `No paper matches these filters (0 of ${total}).`;
      }
      if (this.countEl.textContent !== text) this.countEl.textContent = text;
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

    /** The papers shown: the picked ones while only they are compared, else the matching ones.
     *  The table view lists them; the exports and "Copy keys" take them. */
    shownPapers() {
      const view = this.tableView;
      return view && view.onlyPicks ? view.pickedPapers() : this.matchedPapers();
    }

    download() {
      const parts = [];
      for (const p of this.shownPapers()) {
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

    /** "RIS" and "CSL-JSON" buttons: the matching papers, from their cards' COinS spans. */
    bindExports() {
      for (const button of this.form.querySelectorAll('.tc-export')) {
        button.addEventListener('click', () => this.exportAs(button.getAttribute('data-format')));
      }
    }

    exportAs(format) {
      const items = this.shownPapers().map((p) => cslItem(p.key, coinsOf(p.primary)));
      if (format === 'ris') {
        saveFile(`${items.map(risRecord).join('\r\n\r\n')}\r\n`, `${this.id}.ris`,
          'application/x-research-info-systems;charset=utf-8');
        this.say(`Downloading ${plural(items.length, 'RIS record', 'RIS records')} as ${this.id}.ris.`);
      } else {
        saveFile(`${JSON.stringify(items, null, 2)}\n`, `${this.id}.json`, 'application/vnd.citationstyles.csl+json');
        this.say(`Downloading ${plural(items.length, 'CSL-JSON item', 'CSL-JSON items')} as ${this.id}.json.`);
      }
    }

    /** A grid's display order, with the papers whose nickname is exactly the query first. */
    ranked(order) {
      const q = this.query;
      if (!q || !this.papers.some((p) => p.aka === q)) return order;
      const first = order.filter((st) => st.paper.aka === q);
      return first.length ? first.concat(order.filter((st) => st.paper.aka !== q)) : order;
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

  // -- the table view and picks -----------------------------------------------------------------
  //
  //   &view=table          the matching papers as a compact table instead of cards
  //   &tsort=year / -year  the table's sort column (title, venue, year, a facet id or code), - for descending
  //   &pick=k1,k2          just these papers, in the table ("Compare"; each full card has a "Pick" toggle)

  class TableView {
    constructor(table) {
      this.table = table;
      table.tableView = this; // before fromUrl(): a shared ?pick= link paints the count as picks
      this.root = table.root;
      this.on = false;
      this.sortKey = '';
      this.desc = false;
      this.picks = new Set();
      this.onlyPicks = false;
      this.limit = table.limit;
      this.columns = this.makeColumns();
      this.buildSwitch();
      this.buildTable();
      this.buildPickBar();
      if (table.ownsUrl) {
        this.fromUrl();
        window.addEventListener('popstate', () => {
          this.fromUrl();
          this.apply();
        });
      }
      table.onPrepare = (st) => this.addPick(st);
      table.afterRefresh = () => this.render();
      for (const st of table.cards) if (st.ready && !st.card.classList.contains('tc-repeat')) this.addPick(st);
      this.apply();
    }

    makeColumns() {
      const badges = (facet) => (p) => Array.from(
        p.primary.querySelectorAll(`.tc-badges .tc-badge[data-facet="${facet}"]`), (b) => b.textContent).join(', ');
      const columns = [
        { id: 'title', label: 'Title', text: (p) => p.title, key: (p) => p.title },
        { id: 'venue', label: 'Venue', text: (p) => p.venue, key: (p) => p.venue },
        { id: 'year', label: 'Year', text: (p) => (p.year ? String(p.year) : ''), key: (p) => p.year * 100 + p.month },
      ];
      for (const dim of this.table.dims) {
        if (dim.name === 'kind' || dim.name === 'code') continue;
        const legend = this.table.form.querySelector(`fieldset[data-facet="${dim.name}"] > legend`);
        const text = badges(dim.name);
        columns.push({ id: dim.name, label: legend ? legend.textContent : dim.name, text, key: text });
      }
      const code = (p) => p.primary.querySelector('.tc-links a.tc-link-code');
      columns.push({ id: 'code', label: 'Code', text: (p) => (code(p) ? 'code' : ''), key: (p) => (code(p) ? 0 : 1), link: code });
      return columns;
    }

    buildSwitch() {
      const view = this.table.form.querySelector('.tc-view');
      const id = `${this.table.id}-view`;
      this.select = make('select');
      this.select.id = id;
      this.select.name = 'view';
      for (const [value, label] of [['', 'Cards'], ['table', 'Table']]) {
        const option = make('option', '', label);
        option.value = value;
        this.select.append(option);
      }
      const label = make('label', '', 'View');
      label.htmlFor = id;
      const wrap = make('span', 'tc-control tc-view-switch');
      wrap.append(label, this.select);
      view.insertBefore(wrap, view.querySelector('.tc-actions'));
      this.select.addEventListener('change', () => {
        this.on = this.select.value === 'table';
        if (!this.on) this.onlyPicks = false;
        this.apply();
        this.toUrl(true);
      });
    }

    buildTable() {
      this.wrap = make('div', 'tc-table-wrap');
      this.wrap.hidden = true;
      this.el = make('table', 'tc-table');
      this.caption = make('caption', 'tc-sr-only');
      const head = make('thead');
      const row = make('tr');
      this.heads = this.columns.map((column) => {
        const th = make('th');
        th.scope = 'col';
        const button = make('button', 'tc-sort-head', column.label);
        button.type = 'button';
        button.addEventListener('click', () => {
          if (this.sortKey === column.id) this.desc = !this.desc;
          else { this.sortKey = column.id; this.desc = column.id === 'year'; }
          this.render();
          this.toUrl(false);
        });
        th.append(button);
        row.append(th);
        return th;
      });
      head.append(row);
      this.body = make('tbody');
      this.el.append(this.caption, head, this.body);
      this.more = make('p', 'tc-table-more');
      this.moreButton = make('button', 'tc-button', 'Show all');
      this.moreButton.type = 'button';
      this.moreButton.addEventListener('click', () => {
        this.limit = Infinity;
        this.render();
      });
      this.moreText = make('span');
      this.more.append(this.moreText, ' ', this.moreButton);
      this.wrap.append(this.el, this.more);
      this.root.insertBefore(this.wrap, this.table.moreEl);
    }

    buildPickBar() {
      this.pickBar = make('p', 'tc-pick-bar');
      this.pickBar.hidden = true;
      this.pickText = make('span');
      this.compare = make('button', 'tc-button tc-compare', 'Compare');
      this.compare.type = 'button';
      this.compare.addEventListener('click', () => {
        this.onlyPicks = !this.onlyPicks;
        if (this.onlyPicks) this.on = true;
        this.apply();
        this.toUrl(true);
      });
      const clear = make('button', 'tc-button tc-clear-picks', 'Clear picks');
      clear.type = 'button';
      clear.addEventListener('click', () => {
        this.picks.clear();
        this.onlyPicks = false;
        this.apply();
        this.toUrl(true);
      });
      this.pickBar.append(this.pickText, ' ', this.compare, ' ', clear);
      this.root.insertBefore(this.pickBar, this.table.bar.nextSibling);
    }

    addPick(st) {
      const row = st.card.querySelector(':scope > .tc-links');
      if (!row || row.querySelector('.tc-pick')) return;
      const button = make('button', 'tc-button tc-pick', 'Pick');
      button.type = 'button';
      const key = st.paper.key;
      const paint = () => {
        const on = this.picks.has(key);
        button.setAttribute('aria-pressed', on ? 'true' : 'false');
        button.textContent = on ? 'Picked ✓' : 'Pick';
      };
      button.tcPaint = paint;
      paint();
      button.addEventListener('click', () => {
        if (this.picks.has(key)) this.picks.delete(key);
        else this.picks.add(key);
        this.apply();
        if (this.onlyPicks) this.toUrl(false);
      });
      row.append(button);
    }

    /** Show the chosen view, the pick bar and the picks' buttons. */
    apply() {
      if (!this.picks.size) this.onlyPicks = false;
      this.select.value = this.on ? 'table' : '';
      this.root.classList.toggle('tc-is-table', this.on);
      this.wrap.hidden = !this.on;
      this.pickBar.hidden = this.picks.size === 0;
      this.pickText.textContent = `${plural(this.picks.size, 'paper', 'papers')} picked.`;
      this.compare.textContent = this.onlyPicks ? 'Show all papers' : 'Compare';
      for (const button of this.root.querySelectorAll('.tc-pick')) button.tcPaint();
      this.table.paintCount();
      this.render();
    }

    /** The picked papers, in the table's built order. */
    pickedPapers() {
      return this.table.papers.filter((p) => this.picks.has(p.key));
    }

    /** The table's rows: the matching papers (or the picked ones), sorted by the chosen column. */
    render() {
      if (!this.on) return;
      let papers = this.table.shownPapers();
      const column = this.columns.find((c) => c.id === this.sortKey);
      if (column) {
        const sign = this.desc ? -1 : 1;
        papers = papers.slice().sort((a, b) => {
          const x = column.key(a);
          const y = column.key(b);
          const order = typeof x === 'number' ? x - y : collator.compare(x, y);
          return sign * order || a.i - b.i;
        });
      }
      for (const [i, th] of this.heads.entries()) {
        const sorted = this.columns[i].id === this.sortKey;
        th.setAttribute('aria-sort', sorted ? (this.desc ? 'descending' : 'ascending') : 'none');
      }
      this.caption.textContent = `${plural(papers.length, 'paper', 'papers')}${column ? `, sorted by ${column.label}` : ''}`;
      const shown = papers.slice(0, this.limit);
      this.body.replaceChildren(...shown.map((p) => this.row(p)));
      this.more.hidden = shown.length === papers.length;
      this.moreText.textContent = `The first ${shown.length} of ${papers.length} papers are listed.`;
    }

    row(p) {
      const tr = make('tr');
      tr.setAttribute('data-key', p.key);
      for (const column of this.columns) {
        const td = make('td');
        if (column.id === 'title') {
          const a = make('a', '', p.title);
          a.href = `#${p.primary.id}`;
          td.append(a);
        } else if (column.link) {
          const found = column.link(p);
          if (found) {
            const a = make('a', '', column.text(p));
            a.href = found.href;
            td.append(a);
          }
        } else {
          td.textContent = column.text(p);
        }
        tr.append(td);
      }
      return tr;
    }

    fromUrl() {
      const params = new URLSearchParams(window.location.search);
      const picks = (params.get(PICK_PARAM) || '').split(',').map((s) => s.trim()).filter(Boolean);
      const known = new Set(this.table.papers.map((p) => p.key));
      this.picks = new Set(picks.filter((key) => known.has(key)));
      this.onlyPicks = this.picks.size > 0;
      this.on = params.get(VIEW_PARAM) === 'table' || this.onlyPicks;
      const sort = params.get(TSORT_PARAM) || '';
      const id = sort.replace(/^-/, '');
      this.sortKey = this.columns.some((c) => c.id === id) ? id : '';
      this.desc = this.sortKey !== '' && sort.startsWith('-');
    }

    toUrl(push) {
      if (!this.table.ownsUrl) return;
      const params = new URLSearchParams(window.location.search);
      for (const name of [VIEW_PARAM, TSORT_PARAM, PICK_PARAM]) params.delete(name);
      if (this.on) params.set(VIEW_PARAM, 'table');
      if (this.on && this.sortKey) params.set(TSORT_PARAM, (this.desc ? '-' : '') + this.sortKey);
      if (this.onlyPicks && this.picks.size) params.set(PICK_PARAM, Array.from(this.picks).join(','));
      const qs = params.toString();
      const url = window.location.pathname + (qs ? `?${qs}` : '') + window.location.hash;
      if (url === window.location.pathname + window.location.search + window.location.hash) return;
      if (push) window.history.pushState(null, '', url);
      else window.history.replaceState(window.history.state, '', url);
    }
  }

  /** ``:layout: table`` (a plain table without JavaScript): a click on a column head sorts it. */
  function initPlainTables() {
    for (const table of document.querySelectorAll('table.tc-plain-table')) {
      const body = table.tBodies[0];
      const heads = Array.from(table.querySelectorAll('thead th'));
      if (!body || !heads.length) continue;
      const rows = Array.from(body.rows);
      let sorted = -1;
      let desc = false;
      heads.forEach((th, index) => {
        const button = make('button', 'tc-sort-head', th.textContent.trim());
        button.type = 'button';
        th.replaceChildren(button);
        th.setAttribute('aria-sort', 'none');
        button.addEventListener('click', () => {
          desc = sorted === index ? !desc : false;
          sorted = index;
          const text = (row) => (row.cells[index] ? row.cells[index].textContent.trim() : '');
          const order = rows.slice().sort((a, b) => {
            const x = text(a);
            const y = text(b);
            if (x === '' || y === '') return (x === '') - (y === '') || rows.indexOf(a) - rows.indexOf(b);
            return (desc ? -1 : 1) * collator.compare(x, y) || rows.indexOf(a) - rows.indexOf(b);
          });
          body.replaceChildren(...order);
          for (const other of heads) other.setAttribute('aria-sort', 'none');
          th.setAttribute('aria-sort', desc ? 'descending' : 'ascending');
        });
      });
    }
  }

  const VIEW_PARAM = 'view';
  const TSORT_PARAM = 'tsort';
  const PICK_PARAM = 'pick';

  // -- "new since your last visit" ------------------------------------------------------------

  const SEEN = 'tc-new:seen'; // the newest added date of the previous visit: cards after it are new
  const NEWEST = 'tc-new:newest'; // the newest added date seen in this visit so far
  const VISIT = 'tc-new:visit'; // sessionStorage: this tab's visit has started
  const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

  function storage(kind) {
    try {
      const store = window[kind];
      store.getItem(SEEN);
      return store;
    } catch (err) {
      return null; // storage disabled or blocked: no marks
    }
  }

  function initNewMarks() {
    const local = storage('localStorage');
    const session = storage('sessionStorage');
    if (!local || !session) return;
    const cards = Array.from(document.querySelectorAll('.tc-paper-table article.tc-card[data-added]'))
      .filter((card) => ISO_DATE.test(card.getAttribute('data-added')));
    let newest = local.getItem(NEWEST) || '';
    if (!ISO_DATE.test(newest)) newest = '';
    if (!session.getItem(VISIT)) { // a new visit: what the last one saw is now "seen"
      session.setItem(VISIT, '1');
      if (newest) local.setItem(SEEN, newest);
    }
    for (const card of cards) if (card.getAttribute('data-added') > newest) newest = card.getAttribute('data-added');
    if (newest) local.setItem(NEWEST, newest);
    const seen = local.getItem(SEEN);
    if (!seen || !ISO_DATE.test(seen)) return; // a first visit: nothing is "new" to the reader yet
    const fresh = cards.filter((card) => card.getAttribute('data-added') > seen);
    if (!fresh.length) return;
    const marks = fresh.map((card) => {
      const mark = make('span', 'tc-new-mark', 'New');
      mark.title = `Added ${card.getAttribute('data-added')}, after your last visit`;
      card.prepend(mark);
      card.classList.add('tc-new');
      return mark;
    });
    const notes = [];
    for (const root of document.querySelectorAll('.tc-paper-table')) {
      const papers = new Set(fresh.filter((card) => root.contains(card)).map((card) => card.getAttribute('data-key')));
      if (!papers.size) continue;
      const note = make('p', 'tc-new-note', `${plural(papers.size, 'paper', 'papers')} new since your last visit. `);
      const button = make('button', 'tc-button tc-mark-seen', 'Mark as seen');
      button.type = 'button';
      note.append(button);
      const count = root.querySelector(':scope > .tc-count');
      root.insertBefore(note, count ? count.nextSibling : root.firstChild);
      notes.push(note);
      button.addEventListener('click', () => {
        local.setItem(SEEN, local.getItem(NEWEST) || seen);
        for (const mark of marks) {
          mark.closest('.tc-card').classList.remove('tc-new');
          mark.remove();
        }
        for (const other of notes) other.remove();
        const status = root.tcTable;
        if (status && status.say) status.say('New marks cleared.');
      });
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
      if (table.form) new TableView(table); // sets table.tableView
    }
    initNewMarks();
    initPlainTables();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
}());
