"""The import graph: no cycles anywhere in gansweep/, analysis/ and trainables/, counting
imports inside functions (grimp sees those too); the layering itself is import-linter's
contract in .importlinter, run by `make test`."""

import grimp


def strongly_connected(graph) -> list[list[str]]:
    """Tarjan's components of more than one module: each one is an import cycle."""
    index, low, on, stack, found = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.find_modules_directly_imported_by(v):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for m in sorted(graph.modules):
        if m not in index:
            visit(m)
    return found


def test_no_import_cycles():
    graph = grimp.build_graph("gansweep", "analysis", "trainables", cache_dir=None)
    assert strongly_connected(graph) == []


def test_the_cycle_finder_finds_one(tmp_path, monkeypatch):
    pkg = tmp_path / "cyc"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from cyc import b\n")  # inside a function
    (pkg / "b.py").write_text("import cyc.a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert strongly_connected(grimp.build_graph("cyc", cache_dir=None)) == [["cyc.a", "cyc.b"]]


def test_config_is_the_bottom():
    graph = grimp.build_graph("gansweep", cache_dir=None)
    ours = {m for m in graph.find_modules_directly_imported_by("gansweep.config.schema")}
    assert ours <= {"gansweep.config.constraints", "gansweep.errors"}
