mod connectors;
mod oauth;
