# Misspelt config keys: one line naming the key, before validate()'s error (which prints the whole schema).

import os


def _unknown_key(cfg, schema, path="", root=None):
    """The first key of ``cfg`` the schema does not know (a misspelling), with the keys it knows."""
    root = schema if root is None else root
    ref = schema.get("$ref", "")
    if ref.startswith("#/definitions/"):
        schema = root.get("definitions", {}).get(ref.rsplit("/", 1)[1], {})
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


def _check_keys(schema_path):
    """One line for a misspelt key, before validate()'s error, which prints the whole schema."""
    import yaml
    from snakemake.exceptions import WorkflowError

    with open(schema_path) as fh:
        found = _unknown_key(config, yaml.safe_load(fh))
    if found:
        key, known = found
        raise WorkflowError(f"config: unknown key {key!r} (known here: {', '.join(known)})")


_check_keys(os.path.join(workflow.basedir, "workflows", "schemas", "config.schema.yaml"))
