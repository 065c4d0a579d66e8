// Command sdkfloor is the start-up floor of serve in the benchmark harness:
// the hello-world server of bench, linked with the libraries serve cannot
// do without (msgraph-sdk-go's request adapter, azidentity, azservicebus,
// aztables, the CloudEvents SDK). Their clients are referenced but not
// built, so what it measures over hello-world is what linking them costs
// at start-up (their package initialisation and the larger binary), which
// no change in this repository can take off serve's start → ready.
package main

import (
	"net/http"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"
	"github.com/cloudevents/sdk-go/v2/binding/format"
	"github.com/cloudevents/sdk-go/v2/event"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
)

// never is false at run time (the harness passes no arguments); the
// compiler cannot tell, so the clients below stay linked.
var never = len(os.Args) > 99

func main() {
	if never {
		cred, _ := azidentity.NewDefaultAzureCredential(nil)
		_, _ = msgraphsdk.NewGraphServiceClientWithCredentials(cred, nil)
		_, _ = azservicebus.NewClient("", cred, nil)
		_, _ = aztables.NewServiceClient("", cred, nil)
		_, _ = format.JSON.Marshal(&event.Event{})
	}
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("hello")) })
	http.ListenAndServe("127.0.0.1:"+os.Getenv("FUNCTIONS_CUSTOMHANDLER_PORT"), nil)
}
