"""The hosted zones AWS load balancers, CloudFront and friends live in, by hostname suffix.

Route 53 alias records need the hosted zone id of their target. For AWS-managed targets that id is fixed per
service and region (https://docs.aws.amazon.com/general/latest/gr/elb.html), so a CNAME to such a hostname can
become an alias record without the user naming the zone. The table is ExternalDNS's ``canonicalHostedZones``
(provider/aws/aws.go) with the S3 website endpoints added.
"""

from __future__ import annotations

from external_dns.endpoint import normalize_name

CANONICAL_HOSTED_ZONES: dict[str, str] = {
    # Application and Classic Load Balancers
    "us-east-2.elb.amazonaws.com": "Z3AADJGX6KTTL2",
    "us-east-1.elb.amazonaws.com": "Z35SXDOTRQ7X7K",
    "us-west-1.elb.amazonaws.com": "Z368ELLRRE2KJ0",
    "us-west-2.elb.amazonaws.com": "Z1H1FL5HABSF5",
    "ca-central-1.elb.amazonaws.com": "ZQSVJUPU6J1EY",
    "ap-east-1.elb.amazonaws.com": "Z3DQVH9N71FHZ0",
    "ap-south-1.elb.amazonaws.com": "ZP97RAFLXTNZK",
    "ap-northeast-2.elb.amazonaws.com": "ZWKZPGTI48KDX",
    "ap-northeast-3.elb.amazonaws.com": "Z5LXEXXYW11ES",
    "ap-southeast-1.elb.amazonaws.com": "Z1LMS91P8CMLE5",
    "ap-southeast-2.elb.amazonaws.com": "Z1GM3OXH4ZPM65",
    "ap-southeast-3.elb.amazonaws.com": "Z08888821HLRG5A9ZRTER",
    "ap-northeast-1.elb.amazonaws.com": "Z14GRHDCWA56QT",
    "eu-central-1.elb.amazonaws.com": "Z215JYRZR1TBD5",
    "eu-central-2.elb.amazonaws.com": "Z06391101F2ZOEP8P5EB3",
    "eu-west-1.elb.amazonaws.com": "Z32O12XQLNTSW2",
    "eu-west-2.elb.amazonaws.com": "ZHURV8PSTC4K8",
    "eu-west-3.elb.amazonaws.com": "Z3Q77PNBQS71R4",
    "eu-north-1.elb.amazonaws.com": "Z23TAZ6LKFMNIO",
    "eu-south-1.elb.amazonaws.com": "Z3ULH7SSC9OV64",
    "eu-south-2.elb.amazonaws.com": "Z0956581394HF5D5LXGAP",
    "sa-east-1.elb.amazonaws.com": "Z2P70J7HTTTPLU",
    "cn-north-1.elb.amazonaws.com.cn": "Z1GDH35T77C1KE",
    "cn-northwest-1.elb.amazonaws.com.cn": "ZM7IZAIOVVDZF",
    "us-gov-west-1.elb.amazonaws.com": "Z33AYJ8TM3BH4J",
    "us-gov-east-1.elb.amazonaws.com": "Z166TLBEWOO7G0",
    "me-central-1.elb.amazonaws.com": "Z08230872XQRWHG2XF6I",
    "me-south-1.elb.amazonaws.com": "ZS929ML54UICD",
    "af-south-1.elb.amazonaws.com": "Z268VQBMOI5EKX",
    # Network Load Balancers
    "elb.us-east-2.amazonaws.com": "ZLMOA37VPKANP",
    "elb.us-east-1.amazonaws.com": "Z26RNL4JYFTOTI",
    "elb.us-west-1.amazonaws.com": "Z24FKFUX50B4VW",
    "elb.us-west-2.amazonaws.com": "Z18D5FSROUN65G",
    "elb.ca-central-1.amazonaws.com": "Z2EPGBW3API2WT",
    "elb.ap-east-1.amazonaws.com": "Z12Y7K3UBGUAD1",
    "elb.ap-south-1.amazonaws.com": "ZVDDRBQ08TROA",
    "elb.ap-northeast-3.amazonaws.com": "Z1GWIQ4HH19I5X",
    "elb.ap-northeast-2.amazonaws.com": "ZIBE1TIR4HY56",
    "elb.ap-southeast-1.amazonaws.com": "ZKVM4W9LS7TM",
    "elb.ap-southeast-2.amazonaws.com": "ZCT6FZBF4DROD",
    "elb.ap-southeast-3.amazonaws.com": "Z01971771FYVNCOVWJU1G",
    "elb.ap-northeast-1.amazonaws.com": "Z31USIVHYNEOWT",
    "elb.eu-central-1.amazonaws.com": "Z3F0SRJ5LGBH90",
    "elb.eu-central-2.amazonaws.com": "Z02239872DOALSIDCX66S",
    "elb.eu-west-1.amazonaws.com": "Z2IFOLAFXWLO4F",
    "elb.eu-west-2.amazonaws.com": "ZD4D7Y8KGAS4G",
    "elb.eu-west-3.amazonaws.com": "Z1CMS0P5QUZ6D5",
    "elb.eu-north-1.amazonaws.com": "Z1UDT6IFJ4EJM",
    "elb.eu-south-1.amazonaws.com": "Z23146JA1KNAFP",
    "elb.eu-south-2.amazonaws.com": "Z1011216NVTVYADP1SSV",
    "elb.sa-east-1.amazonaws.com": "ZTK26PT1VY4CU",
    "elb.cn-north-1.amazonaws.com.cn": "Z3QFB96KMJ7ED6",
    "elb.cn-northwest-1.amazonaws.com.cn": "ZQEIKTCZ8352D",
    "elb.us-gov-west-1.amazonaws.com": "ZMG1MZ2THAWF1",
    "elb.us-gov-east-1.amazonaws.com": "Z1ZSMQQ6Q24QQ8",
    "elb.me-central-1.amazonaws.com": "Z00282643NTTLPANJJG2P",
    "elb.me-south-1.amazonaws.com": "Z3QSRYVP46NYYV",
    "elb.af-south-1.amazonaws.com": "Z203XCE67M25HM",
    # Global Accelerator and CloudFront
    "awsglobalaccelerator.com": "Z2BJ6XQ5FK7U4H",
    "cloudfront.net": "Z2FDTNDATAQYW2",
    # S3 website endpoints (https://docs.aws.amazon.com/general/latest/gr/s3.html)
    "s3-website-us-east-1.amazonaws.com": "Z3AQBSTGFYJSTF",
    "s3-website.us-east-2.amazonaws.com": "Z2O1EMRO9K5GLX",
    "s3-website-us-west-1.amazonaws.com": "Z2F56UZL2M1ACD",
    "s3-website-us-west-2.amazonaws.com": "Z3BJ6K6RIION7M",
    "s3-website-eu-west-1.amazonaws.com": "Z1BKCTXD74EZPE",
    "s3-website.eu-central-1.amazonaws.com": "Z21DNDUVLTQW6Q",
    # VPC endpoints (PrivateLink)
    "eu-west-2.vpce.amazonaws.com": "Z7K1066E3PUKB",
    "us-east-2.vpce.amazonaws.com": "ZC8PG0KIFKBRI",
    "af-south-1.vpce.amazonaws.com": "Z09302161J80N9A7UTP7U",
    "ap-east-1.vpce.amazonaws.com": "Z2LIHJ7PKBEMWN",
    "ap-northeast-1.vpce.amazonaws.com": "Z2E726K9Y6RL4W",
    "ap-northeast-2.vpce.amazonaws.com": "Z27UANNT0PRK1T",
    "ap-northeast-3.vpce.amazonaws.com": "Z376B5OMM2JZL2",
    "ap-south-1.vpce.amazonaws.com": "Z2KVTB3ZLFM7JR",
    "ap-south-2.vpce.amazonaws.com": "Z0952991RWSF5AHIQDIY",
    "ap-southeast-1.vpce.amazonaws.com": "Z18LLCSTV4NVNL",
    "ap-southeast-2.vpce.amazonaws.com": "ZDK2GCRPAFKGO",
    "ap-southeast-3.vpce.amazonaws.com": "Z03881013RZ9BYYZO8N5W",
    "ap-southeast-4.vpce.amazonaws.com": "Z07508191CO1RNBX3X3AU",
    "ca-central-1.vpce.amazonaws.com": "ZRCXCF510Y6P9",
    "eu-central-1.vpce.amazonaws.com": "Z273ZU8SZ5RJPC",
    "eu-central-2.vpce.amazonaws.com": "Z045369019J4FUQ4S272E",
    "eu-north-1.vpce.amazonaws.com": "Z3OWWK6JFDEDGC",
    "eu-south-1.vpce.amazonaws.com": "Z2A5FDNRLY7KZG",
    "eu-south-2.vpce.amazonaws.com": "Z014396544HENR57XQCJ",
    "eu-west-1.vpce.amazonaws.com": "Z38GZ743OKFT7T",
    "eu-west-3.vpce.amazonaws.com": "Z1DWHTMFP0WECP",
    "me-central-1.vpce.amazonaws.com": "Z07122992YCEUCB9A9570",
    "me-south-1.vpce.amazonaws.com": "Z3B95P3VBGEQGY",
    "sa-east-1.vpce.amazonaws.com": "Z2LXUWEVLCVZIB",
    "us-east-1.vpce.amazonaws.com": "Z7HUB22UULQXV",
    "us-gov-east-1.vpce.amazonaws.com": "Z2MU5TEIGO9WXB",
    "us-gov-west-1.vpce.amazonaws.com": "Z12529ZODG2B6H",
    "us-west-1.vpce.amazonaws.com": "Z12I86A8N7VCZO",
    "us-west-2.vpce.amazonaws.com": "Z1YSA3EXCYUU9Z",
}


def canonical_hosted_zone(hostname: str) -> str | None:
    """The hosted zone id an AWS-managed ``hostname`` lives in, or None for any other name.

    Matched on a whole-label suffix, so ``my-lb-1.us-east-1.elb.amazonaws.com`` is an ALB but
    ``notcloudfront.net`` is not CloudFront.
    """
    name = normalize_name(hostname)
    for suffix, zone_id in CANONICAL_HOSTED_ZONES.items():
        if name.endswith("." + suffix):
            return zone_id
    return None
