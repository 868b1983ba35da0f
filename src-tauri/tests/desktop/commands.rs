mod connectors;
