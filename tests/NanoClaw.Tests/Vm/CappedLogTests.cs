using System.Text;
using NanoClaw.Vm;
using Shouldly;

namespace NanoClaw.Tests.Vm;

public class CappedLogTests
{
    [Fact]
    public void TheGuestsControlBytesNeverReachTheFileButItsLinesDo()
    {
        var path = Path.Combine(Path.GetTempPath(), $"capped-{Guid.NewGuid():N}.log");
        try
        {
            using (var log = new CappedLog(path, 1 << 20))
                log.Write(Encoding.UTF8.GetBytes("boot ok\r\n\u001b]0;owned\u0007\u001b[2Jfake prompt\rover\twritten\u007f\n"));

            File.ReadAllText(path).ShouldBe("boot ok\n.]0;owned..[2Jfake promptover\twritten.\n");
        }
        finally { File.Delete(path); }
    }
}
