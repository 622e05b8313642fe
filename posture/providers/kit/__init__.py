"""The model vocabulary every source speaks, once: values and Kleene logic, builders, ports and protocols."""
