"""GraphiQL served by the gateway itself, for networks without access to public CDNs.

The scripts and styles are fetched from the npm registry at build time
(``python -m orgql.graphiql.build``, run by the Dockerfile and ``dev.py``) into ``assets/``,
which is not committed. The page loads them from ``/graphiql/assets/``; a browser that cannot
get one there (assets never built) falls back to the same version on unpkg.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

ASSET_DIR = Path(__file__).parent / "assets"
ASSET_PATH = "/graphiql/assets"

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


def page(headers: dict[str, str] | None = None) -> str:
    """The GraphiQL page; ``headers`` prefills the headers editor (development tokens)."""
    css = f"{ASSET_PATH}/graphiql.min.css"
    fallback_css = html.escape(cdn_url("graphiql.min.css"), quote=True)
    options = {
        "defaultHeaders": json.dumps(headers, indent=2) if headers else "",
        "defaultEditorToolsVisibility": "headers" if headers else False,
        "shouldPersistHeaders": False,
    }
    # "</" cannot end the inline script early: JSON escapes it.
    options_json = json.dumps(options).replace("</", "<\\/")
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
  const fetcher = GraphiQL.createFetcher({{ url: window.location.pathname }});
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {{ fetcher, ...options }})
  );
</script>
</body>
</html>
"""
