"""Terraform HCL (``.tf`` files and directories) as a posture :class:`Inventory`.

``.tf.json`` files (Terraform's JSON syntax, CDKTF output) become the same blocks (:mod:`.hcl_json`).

HCL is parsed with python-hcl2 into its Lark tree (which keeps line numbers), evaluated statically by
:mod:`.hcl_eval`, and turned into the same :class:`~.plan.RawResource` values a plan produces, so the
same per-provider normalisers run on both. Values that cannot be known without Terraform are
:data:`UNKNOWN`; rules then report nothing or an ``unverified`` finding, never a guess.

Modules are followed when their code is on disk (local paths; ``.terraform/modules/modules.json`` after
``terraform init``); popular registry modules not on disk are expanded from the knowledge in
``registry_modules.yaml``; anything else is a coverage gap (``unknown_module``).

Problems with one file or module (syntax error, unreadable file, missing or circular module) are gaps
for that file while the rest is scanned; only a missing path, a path without ``.tf`` files, a bad
``--var-file`` and a ``posture:ignore`` comment without a reason are input errors (exit 2).
"""

from __future__ import annotations

import math
import os
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from posture import inputs
from posture.addresses import strip_keys
from posture.errors import InputError, LimitExceeded
from posture.knowledge.network import terraform_provider
from posture.model import UNKNOWN, Gap, Location
from posture.providers.terraform.hcl_eval import Scope, evaluate, flatten_traversal, references
from posture.providers.terraform.hcl_limits import EvalBudget, scan_budget
from posture.providers.terraform.hcl_limits import current as current_budget
from posture.providers.terraform.hcl_module import Instance, ModuleInstance, _eval_body, _key
from posture.providers.terraform.hcl_sensitive import redact_marked, sensitive_gaps, sensitive_keys, unmark
from posture.providers.terraform.hcl_syntax import Block, Body, _body, parse_hcl
from posture.providers.terraform.hcl_values import EvalError
from posture.providers.terraform.hcl_workspace import ModuleDir, Workspace
from posture.providers.terraform.locate import CONFIG_SUFFIXES, config_files, relocate, resolved
from posture.providers.terraform.plan_index import RawResource
from posture.providers.terraform.plan_refs import add_index_free
from posture.skippaths import SkipPaths


# ----------------------------------------------------------------------------------------------------------
# the loader
# ----------------------------------------------------------------------------------------------------------
@dataclass
class HclResult:
    raws: list[RawResource]
    locations: dict[str, Location]
    suppressions: list[dict[str, Any]]
    gaps: list[Gap]
    provider_settings: dict[str, dict[str, str]]
    files: list[str]
    module_knowledge: dict[str, str] = field(default_factory=dict)
    """Module call address -> the registry-module knowledge (module, version range, source) it was expanded from."""
    hidden: set[str] = field(default_factory=set)
    """Addresses of resources some of whose values came from sensitive values (and read as unknown)."""


class HclLoader:
    """Loads one or more root modules and expands them into raw resources."""

    def __init__(self, root: Path, var_values: dict[str, Any], budget: EvalBudget | None = None):
        self.root = resolved(root)
        self.budget = budget or current_budget() or EvalBudget()
        """Evaluation limits and what the scan has spent (:mod:`.hcl_limits`)."""
        self.ws = Workspace(self.root)
        self.var_values = var_values
        self.gaps: list[Gap] = []
        self.module_knowledge: dict[str, str] = {}
        self.hidden: dict[str, dict[str, list[str]]] = {}
        """Declaration (``file:line``) -> address -> paths of the values hidden as sensitive."""
        self._modules_json: dict[str, str] | None = None

    # -- expansion -----------------------------------------------------------------------------------------
    def _count_each(self, body: Body, scope: Scope, what: str, where: str) -> list[tuple[str, Any, dict]] | None:
        """[(address suffix, index, names for the instance scope)] or None for a single instance.

        Over the per-block instance limit: one instance with unknown keys and a ``limit_exceeded`` gap; over
        the scan's limit: no instance and the gap (docs/inputs.md)."""
        with self.budget.block(where):
            n, found = self._expansion(body, scope, what, where)
        hit = self.budget.take_instances(n, what)
        if hit is None:
            return found
        partial = hit.limit == "instances" and self.budget.take_instances(1, what) is None
        self.gaps.append(Gap("terraform", f"{where}: {hit}; " + ("checked as one instance with unknown keys"
                             if partial else "not read"), code="limit_exceeded", target=where))
        if not partial:
            return []
        if "count" in body.attrs:
            return [("", None, {"count": ({"index": UNKNOWN}, [])})]
        return [("", None, {"each": ({"key": UNKNOWN, "value": UNKNOWN}, [])})]

    def _expansion(self, body: Body, scope: Scope, what: str, where: str) -> tuple[float, Any]:
        """(how many instances, their list or None for a single one); the list is not built over the limit."""
        limit = self.budget.limits.instances
        if "count" in body.attrs:
            n, _ = unmark(evaluate(body.attrs["count"].expr, scope))  # Terraform allows a sensitive count
            if isinstance(n, bool) or not isinstance(n, (int, float)) or n != n:  # (NaN)
                self.gaps.append(Gap("terraform", f"count of {what} cannot be resolved statically; checked as one "
                                     "instance with unknown count.index", code="unresolved_count", target=where))
                return 1, [("", None, {"count": ({"index": UNKNOWN}, [])})]
            if n > limit:  # count = 1e8, count = 1e999 (infinite): never built, never int(inf)
                return (math.inf if math.isinf(n) else int(n)), []
            return max(0, int(n)), [(_key(i), i, {"count": ({"index": i}, [])}) for i in range(int(n))]
        if "for_each" in body.attrs:
            expr = body.attrs["for_each"].expr
            coll = evaluate(expr, scope)
            refs = references(expr, scope)
            if sensitive_keys(coll):
                self.gaps.append(Gap("terraform", f"for_each of {what} derives from sensitive values, which Terraform "
                                     "refuses (they would become instance keys); checked as one instance with "
                                     "unknown each.key/each.value", code="sensitive_for_each", target=where))
                return 1, [("", None, {"each": ({"key": UNKNOWN, "value": UNKNOWN}, refs)})]
            if isinstance(coll, dict) and not any(k is UNKNOWN for k in coll):
                items = list(coll.items())
            elif isinstance(coll, list) and all(isinstance(v, str) for v in coll):
                items = [(v, v) for v in dict.fromkeys(coll)]
            else:
                self.gaps.append(Gap("terraform", f"for_each of {what} cannot be resolved statically; checked as "
                                     "one instance with unknown each.key/each.value", code="unresolved_for_each",
                                     target=where))
                return 1, [("", None, {"each": ({"key": UNKNOWN, "value": UNKNOWN}, refs)})]
            if len(items) > limit:
                return len(items), []
            return len(items), [(_key(k), k, {"each": ({"key": k, "value": v}, refs)}) for k, v in items]
        return 1, None

    def expand(self, decl: Block, mi: ModuleInstance, base: str) -> list[tuple[str, Any, Scope]]:
        found = self._count_each(decl.body, mi, base, f"{decl.file}:{decl.line}")
        if found is None:
            return [("", None, mi.child({"self": (UNKNOWN, [])}))]
        return [(suffix, index, mi.child({**names, "self": (UNKNOWN, [])})) for suffix, index, names in found]

    def expand_call(self, call: Block, mi: ModuleInstance) -> list[tuple[Any, ModuleInstance]]:
        name = call.labels[0]
        where = f"{call.file}:{call.line}"
        src_attr = call.body.attrs.get("source")
        source = evaluate(src_attr.expr, Scope()) if src_attr else None
        if not isinstance(source, str):
            self.gaps.append(Gap("terraform", f"module {name!r} has no literal source", code="unknown_module",
                                 target=where))
            return []
        depth = self.budget.limits.module_depth
        if len(mi.call_path) >= depth:
            self.gaps.append(Gap("terraform", f"{where}: module {name!r} is nested deeper than {depth} module calls "
                                 f"({self.budget.limits.env('module_depth')}); not read", code="limit_exceeded",
                                 target=where))
            return []
        mod = self._resolve_module(source, call, mi, where)
        if mod is None:
            return []
        base = f"{mi._p}module.{name}"
        found = self._count_each(call.body, mi, f"module.{name}", where)
        if found is None:  # no count/for_each: one instance (count = 0 or an empty for_each: none)
            found = [("", None, {})]
        out = []
        for suffix, key, names in found:
            scope = mi.child(names) if names else mi
            out.append((key, ModuleInstance(self, mod, base + suffix, mi, call, scope, chain=mi.chain,
                                            call_path=(*mi.call_path, name))))
        return out

    def _resolve_module(self, source: str, call: Block, mi: ModuleInstance, where: str) -> ModuleDir | None:
        name = call.labels[0]
        if source.startswith(("./", "../")) or source in (".", ".."):
            if mi.mod.dir is None:
                return None
            target = resolved(mi.mod.dir / source)
            if not target.is_dir():
                self.gaps.append(Gap("terraform", f"module {name!r}: directory {source} not found",
                                     code="module_not_found", target=where))
                return None
            return self._checked(self.ws.module_dir(target), mi, name, where)
        installed = self._installed(".".join((*mi.call_path, name)))
        if installed is not None:
            return self._checked(self.ws.module_dir(installed), mi, name, where)
        from posture.providers.terraform.registry_modules import known_module

        known = known_module(source)
        if known is not None:
            return self._known_version(known, source, call, mi, where)
        self.gaps.append(Gap("terraform", f"module {name!r} ({source}) is not on disk (run terraform init) and not "
                             "in posture's registry module knowledge; its resources are not checked",
                             code="unknown_module", target=where))
        return None

    def _known_version(self, known: Any, source: str, call: Block, mi: ModuleInstance, where: str) -> ModuleDir | None:
        """The knowledge range for the call's ``version`` (or git ``?ref=``); a version not in the table is a gap."""
        from posture.providers.terraform.module_versions import ConstraintError
        from posture.providers.terraform.registry_modules import git_ref_version

        name = call.labels[0]
        attr = call.body.attrs.get("version")
        constraint = evaluate(attr.expr, Scope()) if attr else git_ref_version(source)
        if constraint is not None and not isinstance(constraint, str):
            constraint = None
        try:
            chosen = known.for_constraint(constraint)
        except ConstraintError as e:
            self.gaps.append(Gap("terraform", f"module {name!r}: {e}; its resources are not checked",
                                 code="unknown_module_version", target=where))
            return None
        if chosen is None:
            ranges = "; ".join(v.range for v in known.versions)
            self.gaps.append(Gap("terraform", f"module {name!r} ({known.source}) version {constraint!r} is not in "
                                 f"posture's registry module knowledge (known: {ranges}); its resources are not "
                                 "checked", code="unknown_module_version", target=where))
            return None
        how = "no version constraint: the newest known range is assumed" if constraint is None \
            else f"version {constraint}"
        self.module_knowledge[f"{mi._p}module.{name}"] = f"{known.source} {chosen.range} ({how}; {chosen.source})"
        return self.ws.registry_module(f"{known.source}@{chosen.range}", chosen.hcl)

    def _checked(self, md: ModuleDir, mi: ModuleInstance, name: str, where: str) -> ModuleDir | None:
        if md.key in mi.chain:
            self.gaps.append(Gap("terraform", f"module {name!r} includes itself (circular module); not expanded",
                                 code="circular_module", target=where))
            return None
        self.gaps.extend(g for g in md.gaps if g not in self.gaps)
        return md

    def _installed(self, key: str) -> Path | None:
        if self._modules_json is None:
            self._modules_json = {}
            mj = self.root / ".terraform" / "modules" / "modules.json"
            try:
                doc = inputs.load_json(mj, "config", "modules.json") if inputs.check_file(mj) else {}
            except InputError as exc:  # unreadable or not JSON: installed modules are not found (gaps name them)
                self.gaps.append(Gap("terraform", str(exc), code="unreadable_file", target=str(mj)))
                doc = {}
            for m in (doc.get("Modules") if isinstance(doc, dict) else None) or []:
                if isinstance(m, dict) and isinstance(m.get("Key"), str) and isinstance(m.get("Dir"), str):
                    self._modules_json[m["Key"]] = m["Dir"]
        d = self._modules_json.get(key)
        if d is None:
            return None
        p = resolved(self.root / d)
        return p if p.is_dir() else None

    # -- resources -----------------------------------------------------------------------------------------
    def collect(self, roots: list[ModuleInstance]) -> HclResult:
        raws: list[RawResource] = []
        locations: dict[str, Location] = {}
        suppressions: list[dict[str, Any]] = []
        for top in roots:
            for mi in top.walk():
                anchor = _anchor(mi)
                if mi.call is not None:
                    holder = mi.parent_instance.mod if mi.parent_instance else None
                    for s in holder.suppressions_for(mi.call) if holder else ():
                        suppressions.append({**s, "resource": f"{mi.prefix}.*"})
                for insts in mi.instances().values():
                    for inst in insts:
                        with self.budget.block(f"{inst.decl.file}:{inst.decl.line}"):
                            raws.append(self._raw(inst))
                        decl = inst.decl
                        locations[inst.address] = anchor or Location(decl.file, decl.line)
                        if not mi.mod.synthetic:
                            for s in mi.mod.suppressions_for(decl):
                                suppressions.append({**s, "resource": inst.address})
        settings: dict[str, dict[str, str]] = {}
        for top in roots:
            for p in top.mod.providers:
                with self.budget.block(f"{p.file}:{p.line}"):
                    self._provider_settings(p, top, settings)
        files = sorted({pf.rel for md in self.ws.dirs.values() if not md.synthetic for pf in md.files})
        self.gaps.extend(sensitive_gaps(self.hidden))
        self.gaps.extend(Gap("terraform", f"{where or 'configuration'}: {message}; evaluated as unknown",
                             code="limit_exceeded", target=where) for (where, _), message in self.budget.hits.items())
        hidden = {address for by_address in self.hidden.values() for address in by_address}
        return HclResult(raws, locations, suppressions, self.gaps, settings, files, self.module_knowledge, hidden)

    @staticmethod
    def _provider_settings(p: Block, top: ModuleInstance, settings: dict[str, dict[str, str]]) -> None:
        body = p.body
        alias = evaluate(body.attrs["alias"].expr, top) if "alias" in body.attrs else None
        key = f"{p.labels[0]}.{alias}" if isinstance(alias, str) else p.labels[0]
        vals: dict[str, str] = {}
        for name in ("region", "project", "subscription_id", "location"):
            if name in body.attrs:
                v = evaluate(body.attrs[name].expr, top)
                if isinstance(v, str):
                    vals[name] = v
        settings.setdefault(key, vals)

    def _raw(self, inst: Instance) -> RawResource:
        decl = inst.decl
        rtype, name = decl.labels[0], decl.labels[1]
        values: dict[str, Any] = {}
        refs: dict[str, list[str]] = defaultdict(list)
        configured: set[str] = set()
        _eval_body(decl.body, inst.scope, "", values, refs, configured, top=True)
        add_index_free(refs, configured)
        values, hidden = redact_marked(values)
        if hidden and decl.type != "data":
            self.hidden.setdefault(f"{decl.file}:{decl.line}", {})[inst.address] = hidden
        provider_key = ""
        if "provider" in decl.body.attrs:
            root, steps, _ = flatten_traversal(decl.body.attrs["provider"].expr, None)
            if root:
                provider_key = ".".join([root] + [str(a) for k, a in steps if k == "attr"])
        if not provider_key:
            provider_key = rtype.split("_", 1)[0]
        return RawResource(
            address=inst.address,
            type=rtype,
            name=name,
            mode="data" if decl.type == "data" else "managed",
            module=inst.module.prefix,
            index=inst.index,
            values=values,
            provider=terraform_provider(rtype) or rtype.split("_", 1)[0],
            provider_key=provider_key,
            refs={k: tuple(dict.fromkeys(v)) for k, v in refs.items()},
            configured=frozenset(configured),
        )


def _anchor(mi: ModuleInstance) -> Location | None:
    """For resources of a registry module (no code on disk): the location of the user's module call."""
    m: ModuleInstance | None = mi
    while m is not None and m.mod.synthetic:
        if m.parent_instance is not None and not m.parent_instance.mod.synthetic and m.call is not None:
            return Location(m.call.file, m.call.line)
        m = m.parent_instance
    return None


# ----------------------------------------------------------------------------------------------------------
# entry point
# ----------------------------------------------------------------------------------------------------------
def _tf_dirs(root: Path, skip: SkipPaths) -> list[Path]:
    """Directories below ``root`` holding configuration files that ``skip`` leaves in."""
    out = []
    for d, subdirs, files in os.walk(root):
        rel = Path(d).relative_to(root).as_posix()
        subdirs[:] = sorted(s for s in subdirs if not s.startswith(".") and not skip.skips(_under(rel, s)))
        if any(f.endswith(CONFIG_SUFFIXES) and not skip.skips(_under(rel, f)) for f in files):
            out.append(Path(d))
    return out


def _under(rel: str, name: str) -> str:
    return name if rel in ("", ".") else f"{rel}/{name}"


def _kept(root: Path, directory: Path, skip: SkipPaths) -> list[Path] | None:
    """The configuration files of ``directory`` that ``skip`` leaves in (None: all of them)."""
    if not skip:
        return None
    return [f for f in config_files(directory) if not skip.skips(f.relative_to(root).as_posix())]


def _read_var_file(path: Path, where: str) -> dict[str, Any]:
    text = inputs.read_text(path, "var_file", "var file")
    if path.name.endswith(".json"):
        doc = inputs.parse_json(text, where)
        if not isinstance(doc, dict):
            raise InputError("expected a JSON object of variable values", where=where)
        return doc
    try:
        tree = parse_hcl(text)
    except Exception as exc:
        line = getattr(exc, "line", None)
        raise InputError(f"HCL syntax error at line {line}" if line else "HCL syntax error",
                         where=f"{where}:{line}" if line else where) from None
    try:
        body = _body(tree.children[0], where)
    except RecursionError:
        raise InputError("HCL blocks nested too deeply", where=where) from None
    out = {}
    budget = current_budget() or EvalBudget()
    for name, attr in body.attrs.items():
        at = f"{where}:{attr.line}"
        with budget.block(at):
            out[name] = evaluate(attr.expr, Scope())
        hit = next((message for (w, _), message in budget.hits.items() if w == at), None)
        if hit is not None:  # a top-level input over a limit: exit 2
            raise LimitExceeded(f"{name}: {hit}", where=at)
    return out


def _module_name(rel: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", rel) or "root"


def load_hcl_sources(path: str | os.PathLike[str], var_files: Iterable[str | os.PathLike[str]] = (),
                     *, recursive: bool = True, skip_paths: Iterable[str] = ()) -> HclResult:
    """Parse and expand ``path`` (a ``.tf`` file or a directory) into raw resources, locations, gaps.

    ``recursive=False`` reads only the root module in the directory itself (and the modules it calls).
    ``skip_paths`` are globs of files and directories below ``path`` not read (:mod:`posture.skippaths`);
    a module called from code that is read is still read. Evaluation is bounded by :mod:`.hcl_limits`
    (``POSTURE_MAX_*``): a block over a limit is a ``limit_exceeded`` gap, a var file over one is exit 2.
    """
    with scan_budget():
        return _load_hcl_sources(path, var_files, recursive, skip_paths)


def _load_hcl_sources(path: str | os.PathLike[str], var_files: Iterable[str | os.PathLike[str]], recursive: bool,
                      skip_paths: Iterable[str]) -> HclResult:
    skip = SkipPaths.of(skip_paths)
    p = Path(path)
    if not p.exists():
        raise InputError("no such file or directory", where=str(p))
    root = p if p.is_dir() else p.parent
    loader = HclLoader(root, {})
    auto: list[Path] = []
    if p.is_dir():
        auto = sorted([q for q in [p / "terraform.tfvars", p / "terraform.tfvars.json"] if q.is_file()]
                      + list(p.glob("*.auto.tfvars")) + list(p.glob("*.auto.tfvars.json")))
        auto = [q for q in auto if not skip.skips(q.name)]
    var_values: dict[str, Any] = {}
    for vf in [*auto, *map(Path, var_files)]:
        var_values.update(_read_var_file(vf, str(vf)))

    if not p.is_dir():  # a file (a pipe or a device is refused as it is read)
        roots = [(p.parent, loader.ws.module_dir(p.parent, only=[p], strict=True))]
    else:
        dirs = _tf_dirs(p, skip) if recursive else [p]
        if not dirs:
            raise InputError("no .tf files found (nor .tf.json)" + (" outside --skip-path" if skip else ""),
                             where=str(p))
        parsed = [(d, loader.ws.module_dir(d, only=_kept(p, d, skip))) for d in dirs]
        called: set[Path] = set()
        for d, md in parsed:
            for call in md.calls:
                src_attr = call.body.attrs.get("source")
                src = evaluate(src_attr.expr, Scope()) if src_attr else None
                if isinstance(src, str) and src.startswith((".", "..")):
                    called.add(resolved(d / src))
        roots = [(d, md) for d, md in parsed if resolved(d) not in called]
        if not roots:  # every directory is called by another: a cycle; scan the top one
            roots = parsed[:1]
    multi = len(roots) > 1
    instances = []
    for d, md in roots:
        loader.gaps.extend(g for g in md.gaps if g not in loader.gaps)
        rel = loader.ws.rel(d)
        prefix = f"module.{_module_name(rel)}" if multi and rel not in ("", ".") else ""
        instances.append(ModuleInstance(loader, md, prefix, None, None, None,
                                        var_values=var_values if resolved(d) == resolved(root) else {}))
    try:
        return loader.collect(instances)
    except RecursionError:
        raise InputError("configuration nests too deeply to evaluate", where=str(p)) from None


def load_hcl(path: str | os.PathLike[str], var_files: Iterable[str | os.PathLike[str]] = (),
             skip_paths: Iterable[str] = ()) -> Any:
    """Load HCL into an :class:`~posture.model.Inventory` using the plan normalisers."""
    from posture.model import Inventory, freeze
    from posture.providers.terraform.plan import _normalise
    from posture.providers.terraform.plan_index import PlanIndex

    loaded = load_hcl_sources(path, var_files, skip_paths=skip_paths)
    meta_base = {"format": "hcl", "files": loaded.files}
    index = PlanIndex(loaded.raws, str(path), meta_base, loaded.provider_settings)
    inv = _normalise(index, meta_base)
    meta = dict(inv.meta)
    meta.update({"source": "terraform-hcl", "suppressions": loaded.suppressions})
    inv = relocate(inv, loaded.locations, source=f"terraform-hcl:{path}")
    resources = tuple(_with_module_knowledge(_with_hidden(r, loaded.hidden), loaded.module_knowledge)
                      for r in inv.resources)
    return Inventory(resources, inv.edges, (*loaded.gaps, *inv.gaps), freeze(meta))


def _with_hidden(r: Any, hidden: set[str]) -> Any:
    """``r`` with :data:`~posture.model.SENSITIVE_HIDDEN` in its source when its resource (``id`` is the address,
    or the address and a ``/``/``#`` suffix) had values from sensitive values: "cannot verify" findings say so."""
    import dataclasses

    from posture.model import SENSITIVE_HIDDEN

    if not hidden or re.split(r"[/#]", r.id, maxsplit=1)[0] not in hidden:
        return r
    return dataclasses.replace(r, source=f"{r.source}{SENSITIVE_HIDDEN}")


def _with_module_knowledge(r: Any, notes: dict[str, str]) -> Any:
    """``r`` with the registry-module knowledge it was built from appended to its source (innermost call)."""
    import dataclasses

    from posture.model import MODULE_KNOWLEDGE

    hits = [(len(call), note) for call, note in notes.items() if r.id.startswith((f"{call}.", f"{call}["))]
    if not hits:
        return r
    return dataclasses.replace(r, source=f"{r.source}{MODULE_KNOWLEDGE}{max(hits)[1]}")


__all__ = ["EvalError", "load_hcl", "load_hcl_sources", "parse_hcl"]


def plan_config(plan_path: str | Path) -> tuple[dict[str, Location], list[dict], Path] | None:
    """Locations and ``posture:ignore`` comments of the ``.tf`` files next to a plan, or None without any.

    Locations are keyed by index-free address; suppressions match index-free resource ids
    (``by_config``), since a plan may expand a ``count`` the HCL evaluation could not. File names are
    relative to the plan's directory. A ``posture:ignore`` without a reason is an InputError as for HCL.
    """
    directory = Path(plan_path).resolve().parent
    if not config_files(directory):
        return None
    try:
        loaded = load_hcl_sources(directory, recursive=False)  # the plan's own root module, not the tree below
    except InputError:
        raise
    except Exception:  # the plan is the source of truth; the .tf files only add lines and suppressions
        return None
    locations: dict[str, Location] = {}
    for address, loc in loaded.locations.items():
        locations.setdefault(strip_keys(address), loc)
    suppressions = [{**s, "resource": strip_keys(s["resource"]), "by_config": True} for s in loaded.suppressions]
    return locations, suppressions, directory
