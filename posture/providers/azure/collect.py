"""Azure collectors: the only code here that talks to Azure, through the real ``azure-mgmt-*`` clients.

One task function per service (``collect_network`` ...) reads one subscription and returns
:class:`Collected` - raw records and coverage gaps. A record is a plain dict
``{"subscription", "service", "type", "data"}`` where ``data`` is the SDK model's ``as_dict()``: the
documented ARM REST shape (camelCase, ``properties`` nested). Every list call is paged by the SDK
(``nextLink``); throttling is retried by the SDK's own retry policy (which honours ``Retry-After``);
an error on one call becomes a :class:`~posture.model.Gap` and the task goes on with the next call.

Clients are built from the credential and client keyword arguments the caller hands in
(``transport=`` for replay in tests, ``retry_total=``, ``retry_backoff_factor=`` ...).
Key Vault keys are read through the management plane (``Microsoft.KeyVault/vaults/keys``): it needs
only the Reader role and returns kty, size, curve, attributes and the rotation policy, never key
material.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from posture.model import Gap

Record = dict[str, Any]


@dataclass
class Collected:
    """What one task read: raw records and coverage gaps."""

    records: list[Record] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)


@dataclass(frozen=True)
class AzureSession:
    """The caller's credential plus keyword arguments for every management client."""

    credential: Any
    client_kwargs: Mapping[str, Any] = field(default_factory=dict)

    def client(self, cls: Any, subscription: str | None = None) -> Any:
        if subscription is None:
            return cls(self.credential, **self.client_kwargs)
        return cls(self.credential, subscription, **self.client_kwargs)


@dataclass(frozen=True)
class CredentialRecipe:
    """How a worker gets its own credential, so tasks can run on remote Dask workers (picklable).

    ``replay_dir`` unset: ``DefaultAzureCredential`` on the worker. Set: the recorded ARM answers under
    that directory with a static test token. ``client_kwargs`` (plain values such as ``retry_total``)
    go to every management client.
    """

    replay_dir: str | None = None
    client_kwargs: Mapping[str, Any] = field(default_factory=dict)

    def session(self) -> AzureSession:
        """The session this recipe describes, built where it is called."""
        kwargs = dict(self.client_kwargs)
        if self.replay_dir:
            from posture.errors import InputError
            from posture.providers.azure.replay import ReplayTransport, StaticTokenCredential

            if not os.path.isdir(self.replay_dir):
                raise InputError("not a directory of recorded Azure answers", where=self.replay_dir)

            kwargs["transport"] = ReplayTransport.from_directory(self.replay_dir)
            kwargs.setdefault("retry_backoff_factor", 0.0)
            return AzureSession(StaticTokenCredential(), kwargs)
        from azure.identity import DefaultAzureCredential

        return AzureSession(DefaultAzureCredential(), kwargs)


def run_service(session: AzureSession | CredentialRecipe, service: str, subscription: str) -> Collected:
    """One subscription x service task (top-level, so a Dask worker can unpickle it); a recipe is
    turned into a session on the worker."""
    if isinstance(session, CredentialRecipe):
        session = session.session()
    return COLLECTORS[service](session, subscription)


def error_code(exc: BaseException) -> str:
    """The ARM error code of an SDK exception (``AuthorizationFailed``...), else its status or type."""
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    if code:
        return str(code)
    status = getattr(exc, "status_code", None)
    return f"HTTP{status}" if status else type(exc).__name__


def error_gap(exc: BaseException, service: str, subscription: str, what: str, target: str = "") -> Gap:
    """Turn an SDK exception into a one-line coverage gap (the message has no credentials in it)."""
    status = getattr(exc, "status_code", None)
    message = getattr(getattr(exc, "error", None), "message", None) or getattr(exc, "message", None) or str(exc)
    first_line = str(message).strip().splitlines()[0] if str(message).strip() else type(exc).__name__
    prefix = f"{what}: HTTP {status}: " if status else f"{what}: "
    return Gap("azure", (prefix + first_line)[:300], error_code(exc), service=service, account=subscription,
               target=target)


class _Reader:
    """Runs list/get calls of one task; a failed call becomes a gap, never an exception."""

    def __init__(self, service: str, subscription: str) -> None:
        self.service, self.subscription = service, subscription
        self.out = Collected()

    def add(self, rtype: str, data: Mapping[str, Any]) -> Record:
        record = {"subscription": self.subscription, "service": self.service, "type": rtype, "data": scrub(data)}
        self.out.records.append(record)
        return record

    def items(self, what: str, call: Callable[..., Iterable[Any]], *args: str,
              target: str = "") -> list[dict[str, Any]]:
        """Every item of every page of ``call(*args)`` as a dict (``[]`` and a gap when it fails)."""
        from azure.core.exceptions import AzureError

        try:
            return [item.as_dict() for item in call(*args)]
        except AzureError as exc:
            self.out.gaps.append(error_gap(exc, self.service, self.subscription, what, target))
            return []

    def each(self, rtype: str, what: str, call: Callable[..., Iterable[Any]], *args: str,
             target: str = "") -> list[Record]:
        """Read every page of ``call(*args)`` into records of ``rtype``."""
        return [self.add(rtype, data) for data in self.items(what, call, *args, target=target)]

    def one(self, rtype: str, what: str, call: Callable[..., Any], *args: str, target: str = "") -> Record | None:
        """Read one resource (``call(*args)``) into a record of ``rtype`` (None and a gap when it fails)."""
        from azure.core.exceptions import AzureError

        try:
            return self.add(rtype, call(*args).as_dict())
        except AzureError as exc:
            self.out.gaps.append(error_gap(exc, self.service, self.subscription, what, target))
            return None


_SECRET_FIELD = re.compile(
    r"password|secret|connectionstring|accesskey|appsettings|azurestorageaccounts|primarykey|secondarykey|"
    r"sastoken|publishingusername", re.IGNORECASE)


def scrub(data: Any) -> Any:
    """Drop fields that can hold secrets (connection strings, keys, passwords) at any depth.

    The management APIs read here do not return secrets, but a record is stored and may be
    snapshotted, so this is a second door.
    """
    if isinstance(data, Mapping):
        return {k: scrub(v) for k, v in data.items() if not _SECRET_FIELD.search(str(k))}
    if isinstance(data, list):
        return [scrub(v) for v in data]
    return data


def parse_id(resource_id: str) -> dict[str, str]:
    """``/subscriptions/s/resourceGroups/rg/providers/P/vaults/v`` -> ``{"resourcegroups": "rg", "vaults": "v"}``."""
    parts = [p for p in resource_id.split("/") if p]
    return {parts[i].lower(): parts[i + 1] for i in range(0, len(parts) - 1, 2)}


# --------------------------------------------------------------------------- subscriptions


def list_subscriptions(session: AzureSession) -> tuple[list[str], list[Gap]]:
    """Ids of every subscription the credential can see; disabled ones become gaps."""
    from azure.mgmt.resource.subscriptions import SubscriptionClient

    client = session.client(SubscriptionClient)
    ids: list[str] = []
    gaps: list[Gap] = []
    for sub in client.subscriptions.list():
        data = sub.as_dict()
        sid, state = str(data.get("subscriptionId", "")), str(data.get("state", ""))
        if state.lower() in ("disabled", "deleted"):
            gaps.append(Gap("azure", f"subscription is {state}: not scanned", "SubscriptionDisabled",
                            service="subscriptions", account=sid))
        elif sid:
            ids.append(sid)
    return ids, gaps


# --------------------------------------------------------------------------- services


def collect_network(session: AzureSession, subscription: str) -> Collected:
    """VNets (with subnets), NSGs (with default rules), NICs, public IPs, application gateways."""
    from azure.mgmt.network import NetworkManagementClient

    c = session.client(NetworkManagementClient, subscription)
    r = _Reader("network", subscription)
    r.each("Microsoft.Network/virtualNetworks", "list virtual networks", c.virtual_networks.list_all)
    r.each("Microsoft.Network/networkSecurityGroups", "list network security groups",
           c.network_security_groups.list_all)
    r.each("Microsoft.Network/networkInterfaces", "list network interfaces", c.network_interfaces.list_all)
    r.each("Microsoft.Network/publicIPAddresses", "list public IP addresses", c.public_ip_addresses.list_all)
    r.each("Microsoft.Network/applicationGateways", "list application gateways", c.application_gateways.list_all)
    return r.out


def collect_compute(session: AzureSession, subscription: str) -> Collected:
    """Virtual machines, managed disks and disk encryption sets."""
    from azure.mgmt.compute import ComputeManagementClient

    c = session.client(ComputeManagementClient, subscription)
    r = _Reader("compute", subscription)
    r.each("Microsoft.Compute/virtualMachines", "list virtual machines", c.virtual_machines.list_all)
    r.each("Microsoft.Compute/disks", "list managed disks", c.disks.list)
    r.each("Microsoft.Compute/diskEncryptionSets", "list disk encryption sets", c.disk_encryption_sets.list)
    return r.out


def collect_storage(session: AzureSession, subscription: str) -> Collected:
    """Storage accounts (properties only: account keys are never requested)."""
    from azure.mgmt.storage import StorageManagementClient

    c = session.client(StorageManagementClient, subscription)
    r = _Reader("storage", subscription)
    r.each("Microsoft.Storage/storageAccounts", "list storage accounts", c.storage_accounts.list)
    return r.out


def collect_keyvault(session: AzureSession, subscription: str) -> Collected:
    """Key vaults and their keys with rotation policies (management plane, metadata only)."""
    from azure.mgmt.keyvault import KeyVaultManagementClient

    c = session.client(KeyVaultManagementClient, subscription)
    r = _Reader("keyvault", subscription)
    for vault in r.each("Microsoft.KeyVault/vaults", "list key vaults", c.vaults.list_by_subscription):
        vid = str(vault["data"].get("id", ""))
        rg, name = parse_id(vid).get("resourcegroups", ""), str(vault["data"].get("name", ""))
        keys = r.items(f"list keys of vault {name}", c.keys.list, rg, name, target=vid)
        for key in keys:  # the list answer may omit the rotation policy: read each key once
            kname = str(key.get("name", ""))
            r.one("Microsoft.KeyVault/vaults/keys", f"get key {name}/{kname}", c.keys.get, rg, name, kname,
                  target=str(key.get("id", "")))
    return r.out


def collect_sql(session: AzureSession, subscription: str) -> Collected:
    """SQL logical servers, their TDE protector, their databases and each database's TDE state."""
    from azure.mgmt.sql import SqlManagementClient

    c = session.client(SqlManagementClient, subscription)
    r = _Reader("sql", subscription)
    for server in r.each("Microsoft.Sql/servers", "list SQL servers", c.servers.list):
        sid = str(server["data"].get("id", ""))
        rg, sname = parse_id(sid).get("resourcegroups", ""), str(server["data"].get("name", ""))
        r.one("Microsoft.Sql/servers/encryptionProtector", f"read TDE protector of {sname}",
              c.encryption_protectors.get, rg, sname, "current", target=sid)
        dbs = r.each("Microsoft.Sql/servers/databases", f"list databases of {sname}", c.databases.list_by_server,
                     rg, sname, target=sid)
        for db in dbs:
            dname = str(db["data"].get("name", ""))
            if dname.lower() == "master":
                continue  # system database: TDE cannot be configured on it
            r.each("Microsoft.Sql/servers/databases/transparentDataEncryption", f"read TDE of {sname}/{dname}",
                   c.transparent_data_encryptions.list_by_database, rg, sname, dname,
                   target=str(db["data"].get("id", "")))
    return r.out


def collect_web(session: AzureSession, subscription: str) -> Collected:
    """App Service apps and each app's configuration (min TLS; app settings are never read)."""
    from azure.mgmt.web import WebSiteManagementClient

    c = session.client(WebSiteManagementClient, subscription)
    r = _Reader("web", subscription)
    for app in r.each("Microsoft.Web/sites", "list App Service apps", c.web_apps.list):
        aid = str(app["data"].get("id", ""))
        rg, name = parse_id(aid).get("resourcegroups", ""), str(app["data"].get("name", ""))
        r.one("Microsoft.Web/sites/config", f"read configuration of {name}", c.web_apps.get_configuration, rg, name,
              target=aid)
    return r.out


COLLECTORS: dict[str, Callable[[AzureSession, str], Collected]] = {
    "network": collect_network,
    "compute": collect_compute,
    "storage": collect_storage,
    "keyvault": collect_keyvault,
    "sql": collect_sql,
    "web": collect_web,
}
"""Service name -> task function; a scan runs one task per subscription x service."""
