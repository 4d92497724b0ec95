#!/usr/bin/env python3
"""A local AWS account for epicac's end-to-end tests and demo, on moto.

  moto_bootstrap.py serve [--exit-with-stdin] [--unchecked]
                                               runs moto_server on a free 127.0.0.1 port (it logs
                                               " * Running on http://127.0.0.1:PORT" on stderr),
                                               checking signatures and permissions after the
                                               bootstrap's requests; with --exit-with-stdin it
                                               exits when its stdin closes (its parent died)
  moto_bootstrap.py setup ENDPOINT [--mint] [--unchecked]
                                               creates the admin user and the roles src, dest,
                                               third, forbidden and irsa; prints them as JSON (see
                                               setup()); --unchecked for a moto that checks nothing
  moto_bootstrap.py mint ENDPOINT ROLE_ARN [COUNT]  prints agent-shaped credentials for that role
                                               (COUNT sessions: a JSON array of them),
                                               assumed with the admin key in AWS_ACCESS_KEY_ID /
                                               AWS_SECRET_ACCESS_KEY

setup does all its requests in one process: starting Python and boto3 costs more than they do.
"""

import json
import os
import sys
import threading

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"
ADMIN_USER = "epicac-admin"
# create_user, put_user_policy, create_access_key: the requests moto lets through unsigned.
UNAUTHENTICATED_REQUESTS = 3
# src may assume dest and third (two destination "accounts"), dest may assume third only (a
# two-hop chain src → dest → third); neither may assume forbidden.
# irsa is the role a web identity token is exchanged for.
ROLE_NAMES = ("src", "dest", "third", "forbidden", "irsa")
# moto compares a trust policy's AWS principal with the caller's ARN as text, so an account
# principal (arn:aws:iam::…:root) would never match an assumed role: trust everyone, and let the
# callers' identity policies decide (src may assume dest only).
TRUST_ANYONE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
}
# The session name the real agent would give the pod's session.
POD_SESSION_NAME = "eks-epicac-demo-pod-0123456789abcdef"


def serve(exit_with_stdin, checked=True):
    # Read by moto.settings when moto is imported: set it first. Unset, moto checks nothing,
    # which unsigned calls such as AssumeRoleWithWebIdentity need.
    if checked:
        os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = str(UNAUTHENTICATED_REQUESTS)
    if exit_with_stdin:
        threading.Thread(target=exit_at_end_of_stdin, daemon=True).start()
    from moto.server import main as moto_server

    moto_server(["--host", "127.0.0.1", "--port", "0"])


def exit_at_end_of_stdin():
    sys.stdin.buffer.read()
    os._exit(0)


def client(service, endpoint, access_key_id, secret_access_key):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        config=Config(retries={"max_attempts": 1}),
    )


def policy(statement):
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def setup(endpoint, checked=True):
    # Unsigned phase: moto accepts any key until it has seen UNAUTHENTICATED_REQUESTS requests.
    anonymous = client("iam", endpoint, "AKIAANONYMOUSBOOTSTRAP", "unused")
    anonymous.create_user(UserName=ADMIN_USER)
    anonymous.put_user_policy(
        UserName=ADMIN_USER,
        PolicyName="admin",
        PolicyDocument=policy({"Effect": "Allow", "Action": "*", "Resource": "*"}),
    )
    key = anonymous.create_access_key(UserName=ADMIN_USER)["AccessKey"]
    admin_key = (key["AccessKeyId"], key["SecretAccessKey"])

    # Signed phase: from here on moto checks every signature and permission.
    iam = client("iam", endpoint, *admin_key)
    roles = {}
    for name in ROLE_NAMES:
        role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST_ANYONE))
        roles[name] = role["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="src",
        PolicyName="assume-destinations",
        PolicyDocument=policy(
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": [roles["dest"], roles["third"]],
            }
        ),
    )
    iam.put_role_policy(
        RoleName="dest",
        PolicyName="assume-third-only",
        PolicyDocument=policy(
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": roles["third"]}
        ),
    )
    identity = client("sts", endpoint, *admin_key).get_caller_identity()
    if checked:
        assert_signatures_checked(endpoint, admin_key[0])
    return {
        "endpoint": endpoint,
        "region": REGION,
        "accountId": identity["Account"],
        "admin": {"AccessKeyId": admin_key[0], "SecretAccessKey": admin_key[1]},
        "roles": roles,
    }


def assert_signatures_checked(endpoint, access_key_id):
    """Fail unless moto now refuses a request signed with the wrong secret."""
    try:
        client("sts", endpoint, access_key_id, "not-the-secret").get_caller_identity()
    except ClientError as error:
        if error.response["Error"]["Code"] == "SignatureDoesNotMatch":
            return
        raise
    sys.exit(
        "moto_bootstrap: moto accepted a bad signature; start it with "
        "`moto_bootstrap.py serve`, or moto_server with "
        f"INITIAL_NO_AUTH_ACTION_COUNT={UNAUTHENTICATED_REQUESTS}"
    )


def mint(endpoint, source_role_arn, admin_key):
    """What the EKS Pod Identity agent hands a pod: a session of its role, in the agent's JSON."""
    sts = client("sts", endpoint, *admin_key)
    answer = sts.assume_role(RoleArn=source_role_arn, RoleSessionName=POD_SESSION_NAME)
    credentials = answer["Credentials"]
    return {
        "AccessKeyId": credentials["AccessKeyId"],
        "SecretAccessKey": credentials["SecretAccessKey"],
        "Token": credentials["SessionToken"],
        "AccountId": answer["AssumedRoleUser"]["Arn"].split(":")[4],
        "Expiration": credentials["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if command == "serve" and len(argv) <= 4:
        serve("--exit-with-stdin" in argv[2:], checked="--unchecked" not in argv[2:])
    elif command == "setup" and 3 <= len(argv) <= 5:
        account = setup(argv[2], checked="--unchecked" not in argv[3:])
        if "--mint" in argv[3:]:
            admin = account["admin"]
            account["sourceCredentials"] = mint(
                argv[2], account["roles"]["src"], (admin["AccessKeyId"], admin["SecretAccessKey"])
            )
        print(json.dumps(account))
    elif command == "mint" and len(argv) in (4, 5):
        admin_key = (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
        if len(argv) == 5:  # COUNT sessions at once, as a JSON array
            print(json.dumps([mint(argv[2], argv[3], admin_key) for _ in range(int(argv[4]))]))
        else:
            print(json.dumps(mint(argv[2], argv[3], admin_key)))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
