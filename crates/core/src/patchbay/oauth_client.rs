//! What a front end may show of a connector's OAuth client (`connector show`, the desktop's
//! details): read from the sealed grant, returned as an [`OAuthClientView`] that holds no secret
//! or key. Kept apart from [`super::ConnectorView`] because reading it needs the keychain, which
//! listing connectors must not.

use super::Patchbay;
use crate::error::Error;
use crate::oauth::OAuthClientView;

impl Patchbay {
    /// The OAuth client a connector's grant was obtained with — for a machine connector, its
    /// client-credentials client. `None` when the connector has no grant, or one stored before
    /// registrations were kept or unreadable (see [`Patchbay::stored_registration`]).
    pub fn oauth_client(
        &self,
        workspace: &str,
        name: &str,
    ) -> Result<Option<OAuthClientView>, Error> {
        Ok(self
            .stored_registration(workspace, name)?
            .map(|registration| registration.view()))
    }
}
