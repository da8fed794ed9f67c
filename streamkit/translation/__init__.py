"""Translation in one room: protocol, registry, engines, sentences, names, cache and the retranslate core."""
