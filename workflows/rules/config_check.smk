# Misspelt config keys: one line naming the key, before validate()'s error (which prints the whole schema);
# numbers YAML read as text (lr: 1e-3) made numbers.

import os


def _resolved(schema, root):
    """``schema`` itself, or the shared definition its ``$ref`` names (``resources.<rule>``)."""
    ref = schema.get("$ref", "")
    if ref.startswith("#/definitions/"):
        return root.get("definitions", {}).get(ref.rsplit("/", 1)[1], {})
    return schema


def _unknown_key(cfg, schema, path="", root=None):
    """The first key of ``cfg`` the schema does not know (a misspelling), with the keys it knows."""
    root = schema if root is None else root
    schema = _resolved(schema, root)
    props = schema.get("properties") or {}
    if schema.get("additionalProperties") is False:
        for key in cfg:
            if key not in props:
                return path + str(key), sorted(props)
    for key, value in cfg.items():
        if isinstance(value, dict) and isinstance(props.get(key), dict):
            found = _unknown_key(value, props[key], f"{path}{key}.", root)
            if found:
                return found
    return None


def _numbers_from_text(cfg, schema, root):
    """Numbers YAML read as text (``lr: 1e-3``: YAML 1.1 wants ``1.0e-3``) become numbers where the
    schema asks for one (in place)."""
    props = _resolved(schema, root).get("properties") or {}
    for key, value in cfg.items():
        spec = props.get(key)
        if not isinstance(spec, dict):
            continue
        types = spec.get("type")
        types = types if isinstance(types, list) else [types]
        if isinstance(value, str) and "number" in types:
            try:
                cfg[key] = float(value)
            except ValueError:
                pass  # left for validate() to name
        elif isinstance(value, dict):
            _numbers_from_text(value, spec, root)


def _check_keys(schema_path):
    """One line for a misspelt key, before validate()'s error, which prints the whole schema."""
    import yaml
    from snakemake.exceptions import WorkflowError

    with open(schema_path) as fh:
        schema = yaml.safe_load(fh)
    found = _unknown_key(config, schema)
    if found:
        key, known = found
        raise WorkflowError(f"config: unknown key {key!r} (known here: {', '.join(known)})")
    _numbers_from_text(config, schema, schema)


_check_keys(os.path.join(workflow.basedir, "workflows", "schemas", "config.schema.yaml"))
