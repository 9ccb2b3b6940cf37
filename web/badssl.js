// The "What does this browser accept?" panel, loaded only when `selfsign serve --badssl` serves
// the page: fetches every endpoint the listing names and shows, beside what a correct client does,
// whether this browser completed the request (accepted) or refused the connection.

const FETCH_TIMEOUT_MS = 15_000;

/** Whether the browser completes a request to the endpoint at `url` that answers as `name`. */
async function accepts(url, name) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), FETCH_TIMEOUT_MS);
  try {
    const response = await fetch(url, { cache: 'no-store', credentials: 'omit', signal: abort.signal });
    const body = await response.json();
    return response.ok && body.variant === name;
  } catch {
    return false; // TLS refusals surface as a bare network error, without the reason
  } finally {
    clearTimeout(timer);
  }
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

/** Fills the panel from the listing at `listingPath`. */
export async function run(listingPath) {
  const section = document.getElementById('badssl');
  const tbody = section.querySelector('tbody');
  const listing = await (await fetch(listingPath, { cache: 'no-store' })).json();
  section.hidden = false;
  const rows = listing.variants.map((variant) => {
    const row = document.createElement('tr');
    row.dataset.variant = variant.name;
    row.dataset.expect = variant.expect;
    const endpoint = cell(variant.name);
    endpoint.title = `${variant.url}: ${variant.description}`;
    const expected = variant.expect === 'accept' ? 'accepts' : `refuses: ${variant.reason}`;
    row.append(endpoint, cell(expected), cell('…'), cell(''));
    tbody.append(row);
    return { row, variant };
  });
  await Promise.all(rows.map(async ({ row, variant }) => {
    const accepted = await accepts(variant.url, variant.name);
    row.dataset.browser = accepted ? 'accept' : 'refuse';
    const matches = (variant.expect === 'accept') === accepted;
    row.cells[2].textContent = accepted ? 'accepted' : 'refused';
    row.cells[3].textContent = matches ? 'as expected' : `differs${variant.note ? `: ${variant.note}` : ''}`;
    row.cells[3].className = matches ? 'ok' : 'differs';
  }));
  section.dataset.done = 'true';
}
