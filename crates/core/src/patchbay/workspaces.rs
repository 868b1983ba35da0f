//! Workspaces: the named scopes connectors (and later providers and steps) live in. Each has
//! its own data key, created on first use, so adding one never needs the keychain; removing one
//! destroys its key and everything sealed with it. The last workspace cannot be removed.

use super::{Patchbay, blocking, now};
use crate::error::Error;
use crate::oauth::refresh::lease::RefreshLock;
use crate::store::Workspace;
use crate::validate::{self, InvalidInput};

impl Patchbay {
    pub fn workspaces(&self) -> Result<Vec<Workspace>, Error> {
        blocking(|| Ok(self.store().workspaces()?))
    }

    pub fn add_workspace(&self, name: &str) -> Result<Workspace, Error> {
        blocking(|| {
            let name = validate::name(name, "the workspace name")?;
            let store = self.store();
            if store.workspace_by_name(&name)?.is_some() {
                return Err(Error::Duplicate {
                    what: "workspace",
                    name,
                    place: String::new(),
                });
            }
            // The data key is created on first use, so a locked keychain does not block this.
            Ok(store.insert_workspace(&name, None, &now(), &uuid::Uuid::new_v4().to_string())?)
        })
    }

    pub fn rename_workspace(&self, old: &str, new: &str) -> Result<Workspace, Error> {
        blocking(|| {
            let new = validate::name(new, "the workspace name")?;
            let store = self.store();
            let workspace = Self::workspace(&store, old)?;
            if let Some(existing) = store.workspace_by_name(&new)?
                && existing.id != workspace.id
            {
                return Err(Error::Duplicate {
                    what: "workspace",
                    name: new,
                    place: String::new(),
                });
            }
            store.rename_workspace(&workspace.id, &new)?;
            Ok(Workspace {
                name: new,
                ..workspace
            })
        })
    }

    /// Deletes a workspace with its connectors, model providers, secrets and data key (the
    /// store's foreign keys take them all). The last workspace stays.
    pub fn remove_workspace(&self, name: &str) -> Result<(), Error> {
        blocking(|| {
            let store = self.store();
            let workspace = Self::workspace(&store, name)?;
            if store.workspaces()?.len() <= 1 {
                return Err(Error::InvalidInput(InvalidInput::Other(format!(
                    "{:?} is the only workspace; create another before removing it",
                    workspace.name
                ))));
            }
            let connectors = store.connectors(&workspace.id)?;
            store.delete_workspace(&workspace.id)?;
            for row in connectors {
                self.tokens.forget(&row.id);
                RefreshLock::for_connector(&self.data_dir, &row.id).remove();
            }
            Ok(())
        })
    }
}
