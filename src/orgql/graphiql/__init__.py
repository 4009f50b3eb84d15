"""GraphiQL served by the gateway itself, for networks without access to public CDNs.

The scripts and styles (and their MIT licences) are fetched from the npm registry into
``assets/``, which is not committed: by every wheel build (``setup.py``), and by ``dev.py``
in a clone (``python -m orgql.graphiql.build``). The page loads them from
``/graphiql/assets/``; a browser that cannot get one there (assets never built: ``orgql
serve`` warns) falls back to the same version on unpkg.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

ASSET_DIR = Path(__file__).parent / "assets"
ASSET_PATH = "/graphiql/assets"
#: In development, a fresh admin token for the page (``graphql/asgi.py``); 404 otherwise.
TOKEN_PATH = "/graphiql/token"  # noqa: S105 (a path, not a secret)
#: The page asks for a new development token when its own has less than this left.
TOKEN_RENEWAL_MARGIN_SECONDS = 60

#: What the query editor opens with (until the browser remembers the user's own).
EXAMPLE_QUERY = """\
# Welcome to orgql. Run this example with the ▶ button (Ctrl+Enter); the Docs and
# History buttons on the left browse the schema and your earlier queries.
query Example {
  organizations(first: 5) {
    edges {
      node {
        id
        name
        ancestorOrganizations { name }
      }
    }
  }
}
"""

#: Each package's licence, next to its files under assets/ (from the tarball's LICENSE).
LICENCE_FILE = "LICENSE.{package}.txt"

#: npm package -> (version, {file in the package tarball: name under assets/}).
PACKAGES: dict[str, tuple[str, dict[str, str]]] = {
    "react": ("18.2.0", {"package/umd/react.production.min.js": "react.production.min.js"}),
    "react-dom": (
        "18.2.0",
        {"package/umd/react-dom.production.min.js": "react-dom.production.min.js"},
    ),
    "graphiql": (
        "3.8.3",
        {
            "package/graphiql.min.js": "graphiql.min.js",
            "package/graphiql.min.css": "graphiql.min.css",
        },
    ),
}


def cdn_url(asset: str) -> str:
    for package, (version, files) in PACKAGES.items():
        for inside, name in files.items():
            if name == asset:
                return f"https://unpkg.com/{package}@{version}/{inside.removeprefix('package/')}"
    raise KeyError(asset)


def _script(asset: str, global_name: str) -> str:
    local = f"{ASSET_PATH}/{asset}"
    fallback = json.dumps(f'<script src="{cdn_url(asset)}"></scr' + "ipt>")
    return (
        f'<script src="{local}"></script>\n'
        f"<script>window.{global_name} || document.write({fallback});</script>"
    )


def page(development_token: tuple[str, int] | None = None) -> str:
    """The GraphiQL page. ``development_token`` (an admin token and its lifetime in seconds,
    development only) prefills the headers editor; the page renews it from
    :data:`TOKEN_PATH` before it expires, as long as the editor still holds a token the page
    was given."""
    css = f"{ASSET_PATH}/graphiql.min.css"
    fallback_css = html.escape(cdn_url("graphiql.min.css"), quote=True)
    headers = {"Authorization": f"Bearer {development_token[0]}"} if development_token else None
    options = {
        "defaultQuery": EXAMPLE_QUERY,
        "defaultHeaders": json.dumps(headers, indent=2) if headers else "",
        "defaultEditorToolsVisibility": "headers" if headers else False,
        "shouldPersistHeaders": False,
    }
    renewal = {
        # The scheme only with a token: a page without one names no bearer at all.
        "scheme": "Bearer " if development_token else "",
        "token": development_token[0] if development_token else None,
        "expiresIn": development_token[1] if development_token else 0,
        "url": TOKEN_PATH,
        "marginSeconds": TOKEN_RENEWAL_MARGIN_SECONDS,
    }
    # "</" cannot end the inline script early: JSON escapes it.
    options_json = json.dumps(options).replace("</", "<\\/")
    renewal_json = json.dumps(renewal).replace("</", "<\\/")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>orgql GraphiQL</title>
<style>body {{ margin: 0; }} #graphiql {{ height: 100vh; }}</style>
<link rel="stylesheet" href="{css}"
      onerror="this.onerror = null; this.href = '{fallback_css}'">
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
{_script("react.production.min.js", "React")}
{_script("react-dom.production.min.js", "ReactDOM")}
{_script("graphiql.min.js", "GraphiQL")}
<script>
  const options = {options_json};
  const renewal = {renewal_json};
{_RENEWING_FETCHER}
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {{ fetcher, ...options }})
  );
</script>
</body>
</html>
"""


#: The page's fetcher. In development it renews the admin token before it expires (a query
#: after a long pause still works) and sends the fresh one in place of any token the page
#: gave out; headers the user typed or removed are sent as they are. Without a development
#: token it is GraphiQL's own fetcher.
_RENEWING_FETCHER = """\
  const plain = GraphiQL.createFetcher({ url: window.location.pathname });
  const given = new Set(renewal.token ? [renewal.scheme + renewal.token] : []);
  let current = renewal.token;
  let expiresAt = Date.now() + renewal.expiresIn * 1000;
  async function freshToken() {
    if (Date.now() < expiresAt - renewal.marginSeconds * 1000) return current;
    const answer = await fetch(renewal.url, { headers: { Accept: "application/json" } });
    if (!answer.ok) {
      console.warn("orgql: could not renew the development token:", answer.status);
      return current;
    }
    const issued = await answer.json();
    current = issued.access_token;
    expiresAt = Date.now() + issued.expires_in * 1000;
    given.add(renewal.scheme + current);
    return current;
  }
  async function fetcher(params, fetcherOptions) {
    const headers = { ...((fetcherOptions && fetcherOptions.headers) || {}) };
    const name = Object.keys(headers).find(key => key.toLowerCase() === "authorization");
    if (name !== undefined && given.has(headers[name])) {
      delete headers[name];
      headers.Authorization = renewal.scheme + (await freshToken());
    }
    return plain(params, { ...fetcherOptions, headers });
  }"""
