//! The integration test binary: the whole router on a temp data dir (in-process, or on
//! 127.0.0.1:0 for the real OpenStack clients), the CLI binary, and the python clients.

mod amqp;
mod armour;
mod cli;
mod clients;
mod contracts;
mod dashboard;
mod db_copy;
mod events;
mod glance_parity;
mod identity_api;
mod images_api;
mod import;
mod inspection;
mod interrupted;
mod languages;
mod load;
mod metadefs;
mod nodes;
mod policy_file;
mod property_protections;
mod quotas;
mod s3;
mod sharing;
mod support;
mod trash;
mod visibility;
