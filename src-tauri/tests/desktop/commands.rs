mod connectors;
mod machine;
mod oauth;
