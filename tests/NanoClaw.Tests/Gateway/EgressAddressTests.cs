using System.Net;
using NanoClaw.Gateway;
using NanoClaw.Gateway.Egress;

namespace NanoClaw.Tests.Gateway;

public class EgressAddressTests
{
    [Theory]
    [InlineData("0.0.0.0", "this network")]
    [InlineData("0.1.2.3", "this network")]
    [InlineData("10.0.0.1", "private")]
    [InlineData("10.255.255.255", "private")]
    [InlineData("100.64.0.1", "carrier-grade NAT")]
    [InlineData("100.127.255.254", "carrier-grade NAT")]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.8.9.10", "loopback")]
    [InlineData("169.254.169.254", "metadata")]
    [InlineData("169.254.1.1", "link-local")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("172.31.255.255", "private")]
    [InlineData("172.29.0.1", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("192.0.0.8", "protocol assignments")]
    [InlineData("192.0.2.1", "documentation")]
    [InlineData("198.51.100.7", "documentation")]
    [InlineData("203.0.113.9", "documentation")]
    [InlineData("198.18.0.1", "benchmarking")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("239.255.255.250", "multicast")]
    [InlineData("240.0.0.1", "reserved")]
    [InlineData("255.255.255.255", "broadcast")]
    [InlineData("::", "unspecified")]
    [InlineData("::1", "loopback")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("::ffff:10.0.0.1", "private")]
    [InlineData("::ffff:169.254.169.254", "metadata")]
    [InlineData("::10.0.0.1", "private")]
    [InlineData("fc00::1", "unique local")]
    [InlineData("fd12:3456::1", "unique local")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("febf::1", "link-local")]
    [InlineData("fec0::1", "site-local")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("64:ff9b::a00:1", "NAT64")]
    [InlineData("2002:a00:1::1", "6to4")]
    [InlineData("2001:db8::1", "documentation")]
    [InlineData("2001:0:4136:e378::1", "Teredo")]
    [InlineData("100::1", "discard")]
    [InlineData("4000::1", "global unicast")]
    public void NonPublicAddressesAreRefusedWithAReason(string address, string reasonPart)
    {
        var reason = EgressAddress.RefusalReason(IPAddress.Parse(address));

        reason.ShouldNotBeNull();
        reason.ShouldContain(reasonPart);
    }

    [Theory]
    [InlineData("1.1.1.1")]
    [InlineData("93.184.216.34")]
    [InlineData("100.63.255.255")] // just below CGNAT
    [InlineData("100.128.0.1")]    // just above CGNAT
    [InlineData("172.15.255.255")] // just below 172.16/12
    [InlineData("172.32.0.1")]     // just above
    [InlineData("169.253.255.255")]
    [InlineData("192.169.0.1")]
    [InlineData("223.255.255.254")]
    [InlineData("::ffff:1.1.1.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("2a00:1450:4001:80b::200e")]
    public void PublicUnicastAddressesPass(string address) =>
        EgressAddress.RefusalReason(IPAddress.Parse(address)).ShouldBeNull();
}
