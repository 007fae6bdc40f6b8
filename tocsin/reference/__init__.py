"""The built-in reference framework: YAML files, their schema, the registry and the loader."""
